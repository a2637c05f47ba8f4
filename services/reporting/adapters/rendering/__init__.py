"""Rendering of the annual report and the views: view model, texts, charts, the HTML page, CSV and JSON."""
