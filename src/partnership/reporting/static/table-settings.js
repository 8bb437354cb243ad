/* What Datasette 0.65's table.html sets in an inline script, read from this script's
   data attribute instead (the site's Content-Security-Policy allows no inline script).
   Loaded before table.js, which is deferred and reads it. */
window.DATASETTE_ALLOW_FACET = document.currentScript.dataset.allowFacet === "true";
