"""Assemble /api/v1 from each domain's router."""

from fastapi import APIRouter

from heartline.customers.router import router as customers_router
from heartline.interactions.router import router as interactions_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(customers_router)
api_router.include_router(interactions_router)
