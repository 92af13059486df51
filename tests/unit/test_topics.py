"""A published topic names the kind of record whose change it carries; the event relay looks only there."""

import pytest

from domain.c2b.topic import c2b_topic
from domain.topics import b2c_topic, record_kind_of, stk_topic


@pytest.mark.parametrize(
    ("topic", "kind"),
    [
        (stk_topic("shop1"), "stk"),
        (stk_topic("b2c"), "stk"),  # a merchant hash that happens to read "b2c" is still an STK topic
        (b2c_topic("shop1"), "b2c"),
        (b2c_topic("b2c"), "b2c"),
        (c2b_topic("shop1"), None),
        ("/somewhere/else", None),
    ],
)
def test_each_topic_names_the_kind_of_record_it_carries(topic: str, kind: str | None) -> None:
    assert record_kind_of(topic) == kind
