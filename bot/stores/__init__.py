"""Conversation stores for the scale-out deployment (endpoints.scale.yml)."""
