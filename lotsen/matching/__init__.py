"""Matching requests to volunteers: pure rules (``rules``) and the database side (``services``)."""
