"""One container holds at most two pooled connections to the store, whatever the URI asks."""

from __future__ import annotations

import threading

import pytest

from gpt_auth.oauth import users
from gpt_auth.runtime import db


@pytest.mark.nx
def test_the_pool_holds_at_most_two_connections(nx_server, configure):
    # GIVEN a real server and a URI that asks for a bigger pool
    configure(MONGODB_URI=nx_server.uri + "&maxPoolSize=50", MONGODB_DATABASE="pool")
    coll = db.collection(users.COLLECTION)

    # WHEN eight threads use the store at once
    def use() -> None:
        for i in range(20):
            coll.find_one({"x": i})

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # THEN the client was built with a pool of two, and never opened more
    assert db.MAX_POOL_SIZE == 2
    pool = next(iter(db._client._topology._servers.values())).pool
    assert pool.opts.max_pool_size == 2
    assert len(pool.conns) <= 2
