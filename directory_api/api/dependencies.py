"""Typed dependencies: the app state built once at start-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from directory_api.api.search_service import DirectoryService
from directory_api.geography.gazetteer import Gazetteer
from directory_api.taxonomy import Taxonomy


def get_service(request: Request) -> DirectoryService:
    return request.app.state.directory


def get_gazetteer(request: Request) -> Gazetteer:
    return request.app.state.directory.gazetteer


def get_taxonomy_dep(request: Request) -> Taxonomy:
    return request.app.state.directory.taxonomy


ServiceDep = Annotated[DirectoryService, Depends(get_service)]
GazetteerDep = Annotated[Gazetteer, Depends(get_gazetteer)]
TaxonomyDep = Annotated[Taxonomy, Depends(get_taxonomy_dep)]
