"""Holdings of commune and ward libraries from a spreadsheet (CSV or XLSX).

``template`` defines the columns (Vietnamese headers, with the usual
variants understood) and makes the downloadable template files; ``reader``
reads a CSV or XLSX file into numbered rows; ``importer`` turns each row into
a catalogue record (source ``csv:<library code>``) and the library's copies
of it, reporting every row it cannot use with its row number.
"""
