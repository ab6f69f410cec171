"""Imports every domain's models so Base.metadata is complete (Alembic, tests)."""

from heartline.auth import models as auth_models
from heartline.customers import models as customer_models
from heartline.db import Base
from heartline.interactions import models as interaction_models
from heartline.mood import models as mood_models

__all__ = ["Base", "auth_models", "customer_models", "interaction_models", "mood_models"]
