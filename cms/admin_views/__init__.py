"""Wagtail admin views of the organisation: units, members and the member import."""
