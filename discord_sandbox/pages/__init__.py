"""The HTML shell shared by the sandbox's pages: base template, stylesheet, avatar filters, rendering."""
