from datetime import UTC, datetime

from domain.shared.ports import Clock


class SystemClock(Clock):
    def now(self) -> datetime:
        # Millisecond precision, as BSON stores it, so an answer shows the same times a later read returns.
        moment = datetime.now(UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
