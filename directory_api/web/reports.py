"""Placeholder: filled in by the web page work (issue 5)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
