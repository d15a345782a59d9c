"""What another department's system may be granted: OAuth2 scopes of the data-sharing API."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientScope(models.TextChoices):
    LICENCES = "licences", _("查询主体的电子证照")
    CASES = "cases", _("查询主体的办件状态")
    LICENCE_CHECK = "licence_check", _("核验主体是否持有某类有效证照（仅答是或否）")


# The dossier records each scope opens (licence_check opens none: it answers yes or no):
KINDS_OF_SCOPE: dict[str, str] = {ClientScope.LICENCES: "licences", ClientScope.CASES: "cases"}
DEFAULT_RATE_PER_MINUTE = 60


# Exchange with higher-level platforms (docs/exchange.md) -----------------------------------

# The version of the exchange protocol of docs/exchange.md that every message carries:
PROTOCOL_VERSION = "1.0"
# The case events' consumer name (govhall.cases.feed):
CONSUMER = "province"


class MessageType(models.TextChoices):
    """Fujian exchange message types (STANDARDS §11); 40, 50 and 60 are govhall's own: item, licence, month's figures."""

    CASE = "10", _("办件信息")
    STEP = "20", _("办理过程")
    CLOCK_PAUSED = "21", _("暂停计时")
    CORRECTION = "22", _("补正告知")
    CLOCK_RESUMED = "23", _("恢复计时")
    PAYMENT_NOTICE = "24", _("缴费通知")
    PAYMENT = "25", _("缴费信息")
    RESULT = "30", _("办理结果")
    RESULT_FILE = "31", _("结果证照")
    FORWARD = "32", _("报上级审批")
    RATING = "36", _("好差评")
    ITEM = "40", _("事项发布")
    LICENCE = "50", _("证照归集")
    FIGURES = "60", _("统计月报")
    ACK = "99", _("回执")


class Flag(models.TextChoices):
    INSERT = "I", _("新增")
    UPDATE = "U", _("更新")
    DELETE = "D", _("删除")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    DELIVERED = "delivered", _("已送达")
    DEAD = "dead", _("发送失败待处理")


class Adapter(models.TextChoices):
    """One adapter per kind of receiving platform, behind one interface (sharing.adapters)."""

    PROVINCE = "province", _("省网上办事大厅")
    DISTRICT = "district", _("区数据共享平台（证照库）")
    WEBHOOK = "webhook", _("订阅推送（Webhook）")


# Which message types each kind of platform takes:
TYPES_OF_ADAPTER: dict[str, frozenset[str]] = {
    Adapter.PROVINCE: frozenset(
        {
            MessageType.CASE,
            MessageType.STEP,
            MessageType.CLOCK_PAUSED,
            MessageType.CORRECTION,
            MessageType.CLOCK_RESUMED,
            MessageType.PAYMENT_NOTICE,
            MessageType.PAYMENT,
            MessageType.RESULT,
            MessageType.RESULT_FILE,
            MessageType.FORWARD,
            MessageType.RATING,
            MessageType.ITEM,
            MessageType.FIGURES,
        }
    ),
    Adapter.DISTRICT: frozenset({MessageType.LICENCE}),
    # Another system of the bureau or the district that subscribed to case, rating, item and
    # figures messages (each subscription may narrow them):
    Adapter.WEBHOOK: frozenset(
        {
            MessageType.CASE,
            MessageType.STEP,
            MessageType.CLOCK_PAUSED,
            MessageType.CORRECTION,
            MessageType.CLOCK_RESUMED,
            MessageType.RESULT,
            MessageType.RESULT_FILE,
            MessageType.RATING,
            MessageType.ITEM,
            MessageType.FIGURES,
        }
    ),
}


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("已接收")
    MADE_CASE = "made_case", _("已生成办件")
    REVIEW = "review", _("待人工核查")
    DISMISSED = "dismissed", _("已退回")


# Delivery is tuned by the EXCHANGE_* settings (conf/settings.py); each platform has its timeout:
DEFAULT_TIMEOUT_SECONDS = 10.0


# Open data (数据开放) ----------------------------------------------------------------------------


class Openness(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件开放")
    CONDITIONAL = "conditional", _("有条件开放")
    CLOSED = "closed", _("不予开放")


class UpdateFrequency(models.TextChoices):
    HOURLY = "hourly", _("每小时")
    DAILY = "daily", _("每日")
    MONTHLY = "monthly", _("每月")


# A count below this is shown as empty, so that nobody can be singled out (each data set may set its own):
DEFAULT_MIN_COUNT = 5
