"""Imports every domain's models so Base.metadata is complete (Alembic, tests)."""

from heartline.alerts import models as alert_models  # noqa: F401  (team alerts)
from heartline.auth import models as auth_models
from heartline.customers import models as customer_models
from heartline.db import Base
from heartline.desk import models as desk_models  # noqa: F401  (macros, notes)
from heartline.helpdesk import models as helpdesk_models  # noqa: F401  (help-desk imports)
from heartline.interactions import models as interaction_models
from heartline.mailbox import models as mailbox_models  # noqa: F401  (inbound mail)
from heartline.metrics import models as metrics_models  # noqa: F401  (emotional memory)
from heartline.mood import models as mood_models
from heartline.notifications import models as notification_models  # noqa: F401
from heartline.playbooks import models as playbook_models  # noqa: F401  (playbooks)
from heartline.presence import models as presence_models  # noqa: F401  (live inbox)
from heartline.privacy import models as privacy_models  # noqa: F401  (audit trail)
from heartline.routing import models as routing_models  # noqa: F401  (emotional memory)
from heartline.shop import models as shop_models  # noqa: F401  (shop orders)

__all__ = ["Base", "auth_models", "customer_models", "interaction_models", "mood_models"]
