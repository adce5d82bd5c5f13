"""Server-rendered pages: Jinja2 templates and static files shipped in the package."""
