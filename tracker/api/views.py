"""The prioritisation views over the API: GET /me/work, /teams/{id}/eisenhower, /deadlines, /forecast.

They call tracker/views.py (the same functions as the HTML pages). Until those endpoints are added
here, this module declares none.
"""
from __future__ import annotations
