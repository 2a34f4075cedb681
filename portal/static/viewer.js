/* The reader's viewer: Mirador 4 on one item's IIIF manifest (portal/views/viewer.py).
 *
 * The page gives its settings as JSON in #viewer-config (language, the window
 * with the manifest and an optional search to run). Mirador 4.0 speaks the
 * IIIF Content Search API 1.0 only; our manifests list the 1.0 service
 * (profile http://iiif.io/api/search/1/search) next to the 2.0 one, so the
 * search panel, its autocomplete and the highlighted hits work unchanged.
 */
(function () {
  "use strict";

  // Corrections to Mirador 4.0's Vietnamese catalogue: it swaps zoom in and out,
  // calls our pages "khoản mục" (items), and lacks the "_other" plural forms
  // (Vietnamese has only that one); the rest of it ships with Mirador.
  var VI_EXTRA = {
    zoomIn: "Phóng to",
    zoomOut: "Thu nhỏ",
    nextCanvas: "Trang sau",
    previousCanvas: "Trang trước",
    currentItem: "Trang hiện tại",
    "currentItem_1/1": "Trang hiện tại",
    aboutThisItem: "Về tài liệu này",
    itemList: "Danh sách trang",
    noItemSelected: "Chưa chọn trang nào",
    attribution: "Ghi nguồn",
    rights: "Giấy phép",
    single: "Từng trang",
    gallery: "Lưới trang",
    toggleWindowSideBar: "Bật/tắt thanh bên",
    sidebarPanelsNavigation: "Các ngăn của thanh bên",
    searchSubmitAria: "Tìm",
    iiif_related: "Liên quan",
    layer_moveToBackground: "Đưa xuống dưới cùng",
    layer_moveToFront: "Đưa lên trên cùng",
    multipartCollection: "Bộ sưu tập nhiều phần",
    numItems_other: "{{number}} khoản mục",
    searchResultsRemaining: "Còn {{numLeft}} kết quả",
    showingNumAnnotations_other: "Hiện {{number}} chú giải",
    totalCollections_other: "{{count}} bộ sưu tập",
    totalManifests_other: "{{count}} bản kê",
    viewWorkspaceConfiguration: "Xem cấu hình không gian làm việc"
  };

  function start() {
    var host = document.getElementById("mirador");
    var settings = document.getElementById("viewer-config");
    if (!host || !settings || !window.Mirador) { return; }
    var page = JSON.parse(settings.textContent);
    var searchFirst = page.windows.some(function (w) { return w.defaultSearchQuery; });
    window.serepokViewer = window.Mirador.viewer({
      id: "mirador",
      language: page.language,
      availableLanguages: { vi: "Tiếng Việt", en: "English" },
      translations: { vi: VI_EXTRA },
      selectedTheme: "light",
      themes: { light: { palette: { primary: { main: "#0a4f58" } } } },
      window: {
        allowClose: false,
        allowMaximize: false,
        allowFullscreen: true,
        sideBarOpen: true,
        sideBarPanel: searchFirst ? "search" : "info",
        switchCanvasOnSearch: true,
        panels: { info: true, attribution: true, canvas: true, annotations: false,
                  search: true, layers: false }
      },
      thumbnailNavigation: { defaultPosition: "far-bottom" },
      workspace: { type: "mosaic", allowNewWindows: false, showZoomControls: true,
                   isWorkspaceAddVisible: false },
      workspaceControlPanel: { enabled: false },
      windows: page.windows
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
