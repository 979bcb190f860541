"""Feedback: policies and their theme trees, discussion input tagged to themes, and follow-up actions."""
