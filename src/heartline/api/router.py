"""Assemble /api/v1 from each domain's router."""

from fastapi import APIRouter

from heartline.alerts.router import router as alerts_router
from heartline.assist.router import router as assist_router
from heartline.customers.router import router as customers_router
from heartline.desk.router import router as desk_router
from heartline.interactions.router import router as interactions_router
from heartline.mailbox.router import router as mailbox_router
from heartline.metrics.router import router as metrics_router
from heartline.mood.router import router as mood_router
from heartline.notifications.router import router as notifications_router
from heartline.playbooks.router import router as playbooks_router
from heartline.privacy.router import router as privacy_router
from heartline.routing.router import router as routing_router
from heartline.shop.router import router as shop_router
from heartline.whatsapp.router import router as whatsapp_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(customers_router)
api_router.include_router(interactions_router)
api_router.include_router(mailbox_router)
api_router.include_router(alerts_router)
api_router.include_router(shop_router)
api_router.include_router(assist_router)
api_router.include_router(mood_router)
api_router.include_router(routing_router)
api_router.include_router(metrics_router)
api_router.include_router(playbooks_router)
api_router.include_router(privacy_router)
api_router.include_router(desk_router)
api_router.include_router(notifications_router)
api_router.include_router(whatsapp_router)
