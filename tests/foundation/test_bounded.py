"""The bounded LRU cache every per-schema and per-record memory of the mock is kept in."""

from __future__ import annotations

from mockserver.foundation.bounded import BoundedCache, json_size


def test_the_least_recently_used_entries_go_first_when_the_count_or_the_weight_is_passed() -> None:
    cache: BoundedCache[str, int] = BoundedCache(entries=3, weight=10)
    for key in "abc":
        cache.put(key, ord(key), weight=2)
    assert cache.get("a") == ord("a")  # "b" is now the least recently used
    cache.put("d", 4, weight=2)
    assert "b" not in cache and len(cache) == 3 and cache.weight == 6
    cache.put("e", 5, weight=7)  # 13 > 10: the oldest go until it fits
    assert [key for key in "acde" if key in cache] == ["d", "e"] and cache.weight == 9


def test_the_newest_entry_stays_even_when_it_alone_passes_the_weight() -> None:
    cache: BoundedCache[str, str] = BoundedCache(entries=8, weight=5)
    cache.put("small", "x", weight=1)
    cache.put("huge", "y", weight=50)
    assert cache.get("huge") == "y" and "small" not in cache and len(cache) == 1


def test_putting_a_key_again_weighs_it_again() -> None:
    cache: BoundedCache[str, int] = BoundedCache(entries=8, weight=10)
    cache.put("a", 1, weight=4)
    cache.put("b", 2, weight=4)
    cache.put("a", 1, weight=9)  # grew: "b", now the oldest, goes
    assert "b" not in cache and cache.weight == 9


def test_setdefault_makes_a_value_once_and_weighs_it() -> None:
    cache: BoundedCache[str, list[int]] = BoundedCache(entries=4, weight=100)
    made: list[int] = []

    def make() -> list[int]:
        made.append(1)
        return [1, 2, 3]

    first = cache.setdefault("k", make, len)
    assert cache.setdefault("k", make, len) is first and made == [1] and cache.weight == 3


def test_a_json_values_size_is_its_compact_text_also_beyond_what_orjson_writes() -> None:
    assert json_size({"a": [1, 2]}) == len('{"a":[1,2]}')
    assert json_size(2**70) == len(str(2**70))


def test_a_cache_of_no_entries_keeps_nothing() -> None:
    cache: BoundedCache[str, int] = BoundedCache(entries=0, weight=100)
    cache.put("a", 1)
    assert cache.get("a") is None and len(cache) == 0 and cache.weight == 0


def test_the_entries_the_bounds_push_out_are_told_and_a_peek_changes_no_order() -> None:
    evicted: list[tuple[str, int]] = []
    cache: BoundedCache[str, int] = BoundedCache(2, on_evict=lambda key, value: evicted.append((key, value)))
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.peek("a") == 1  # not made the most recent: "a" still goes first
    cache.put("c", 3)
    assert evicted == [("a", 1)]
    assert cache.peek("a") is None
    cache.clear()
    assert evicted == [("a", 1)]  # clearing is the owner's own doing
