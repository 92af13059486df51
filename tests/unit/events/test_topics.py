"""A published topic names the kind of record whose change it carries; the event relay looks only there."""

import pytest

from domain.c2b.topic import c2b_topic
from domain.events.topics import b2c_topic, record_kinds_of, stk_topic


@pytest.mark.parametrize(
    ("topic", "kinds"),
    [
        (stk_topic("shop1"), {"stk"}),
        (stk_topic("b2c"), {"stk"}),  # a merchant hash that happens to read "b2c" is still an STK topic
        (b2c_topic("shop1"), {"b2c"}),
        (b2c_topic("b2c"), {"b2c"}),
        (c2b_topic("shop1"), {"c2b.payment", "c2b.request"}),
        ("/somewhere/else", None),
    ],
)
def test_each_topic_names_the_kinds_of_record_it_carries(topic: str, kinds: set[str] | None) -> None:
    assert record_kinds_of(topic) == (None if kinds is None else frozenset(kinds))
