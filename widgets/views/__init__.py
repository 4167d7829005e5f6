"""Thin ipywidgets views over the pure models in widgets.scenario and widgets.quiz."""
