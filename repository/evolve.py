"""ZODB schema changes as ordered evolve steps, like SQL migrations.

The root stores the generation it has reached (``root.evolve_generation``).
:func:`evolve` runs every later step in order; each step must be idempotent.
Add a step by appending a function to :data:`STEPS`; never reorder them.
"""
import logging

from .catalog import SiteCatalog
from .resources import walk

log = logging.getLogger(__name__)


def step_1_site_catalogues(root):
    """Every site has a catalogue with every index the code defines."""
    from .services import reindex_site
    for site in root.sites():
        if site.catalog is None:
            site.catalog = SiteCatalog()
            reindex_site(site)
        elif site.catalog.ensure_indexes():
            reindex_site(site)


def step_2_workflow_history(root):
    """Objects made before histories existed get an empty tuple of their own."""
    for site in root.sites():
        for obj in walk(site):
            if "workflow_history" not in obj.__dict__:
                obj.workflow_history = ()


STEPS = [step_1_site_catalogues, step_2_workflow_history]


def evolve(root):
    """Run the steps the root has not seen yet; returns the numbers run."""
    done = []
    start = getattr(root, "evolve_generation", 0)
    for number, step in enumerate(STEPS, 1):
        if number > start:
            log.info("evolve step %s: %s", number, step.__doc__)
            step(root)
            root.evolve_generation = number
            done.append(number)
    return done
