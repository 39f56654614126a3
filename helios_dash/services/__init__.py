"""Logic shared by pages, API and exports; one function per view."""
