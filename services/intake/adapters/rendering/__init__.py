"""Rendering of intake's web form: its texts, the Jinja2 templates (autoescaped) and their environment."""
