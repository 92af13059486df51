from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class C2bSettings:
    """Where the C2B adapter calls Daraja and which Register URL version the Daraja app holds (v1 or v2)."""

    base_url: str
    register_version: str = "v2"
    # Daraja documents no page size for Pull queries; this many pages at most per query, so a body that never
    # ends the paging cannot loop for ever.
    max_pull_pages: int = 50

    def __post_init__(self) -> None:
        if self.register_version not in ("v1", "v2"):
            raise ValueError(f"register_version must be v1 or v2, not {self.register_version!r}")

    @property
    def other_version(self) -> str:
        return "v1" if self.register_version == "v2" else "v2"
