"""Everything one running simulator holds, handed to every route handler."""

from dataclasses import dataclass, field

from daraja_simulator.body_forms import BodyFormPicker
from daraja_simulator.c2b_ledger import C2bLedger
from daraja_simulator.callbacks import CallbackSender
from daraja_simulator.config import SimulatorConfig
from daraja_simulator.credentials import SimulatorCredentials
from daraja_simulator.faults import Faults
from daraja_simulator.ledger import Ledger
from daraja_simulator.request_rules import bearer_token


@dataclass(frozen=True, slots=True)
class SimulatorState:
    config: SimulatorConfig
    ledger: Ledger
    credentials: SimulatorCredentials
    sender: CallbackSender
    faults: Faults = field(default_factory=Faults)
    forms: BodyFormPicker = field(default_factory=BodyFormPicker)
    c2b: C2bLedger = field(default_factory=C2bLedger)

    def token_from(self, authorization: str | None) -> tuple[str, bool]:
        """The bearer token sent (or "") and whether it is one this simulator issued and has not expired."""
        token = bearer_token(authorization)
        if token is None:
            return "", False
        return token, self.ledger.token_is_valid(token)
