"""The classroom server: one random key pair per student, kept apart from each other.

One exchange listens on every interface (``0.0.0.0``) with 30 student accounts,
as ``python -m local_exchange --host 0.0.0.0 --accounts 30`` would start it.
Requests go to the machine's LAN address when it has one, so the server sees a
non-loopback client, as it would in a classroom (the traffic never leaves the
machine); otherwise to loopback, and the off-loopback checks call the
authentication function directly.
"""
from __future__ import annotations

import asyncio
import os
import queue
import stat
import subprocess
import sys
import threading
import time
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import requests
from pybit.exceptions import InvalidRequestError
from pybit.unified_trading import HTTP
from waiting import until

from helpers import config, connect
from helpers.signing import signed_headers, websocket_auth_args
from local_exchange import __main__ as cli
from local_exchange import classroom
from local_exchange.auth import authenticate
from local_exchange.classroom import KeysFileError, Student
from local_exchange.errors import BybitError
from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig
from local_exchange.state import ACCOUNTS, WS_CONNECTIONS

STUDENTS = 30
TIMEOUT = 5.0
LAN = classroom.lan_addresses()
POSIX = os.name != "nt"


# ---------------------------------------------------------------------------------------------
# The server shared by the network tests
# ---------------------------------------------------------------------------------------------
class Room:
    """A running classroom server and the keys of its students (handed out one test at a time)."""

    def __init__(self) -> None:
        self.students = classroom.generate_students(STUDENTS)
        self.exchange = LocalExchange(ExchangeConfig(
            host="0.0.0.0", port=0, ip_limit=False, limits="teaching",
            extra_accounts=tuple((s.api_key, s.api_secret) for s in self.students))).start()
        host = LAN[0] if LAN else "127.0.0.1"
        self.url = f"http://{host}:{self.exchange.port}"       # what students use
        self.loopback_url = f"http://127.0.0.1:{self.exchange.port}"
        self._next = 0

    def take(self, n: int) -> list[Student]:
        """``n`` students no other test has used (so no test sees another's orders or limits)."""
        chosen = self.students[self._next:self._next + n]
        assert len(chosen) == n, "the room ran out of students: raise STUDENTS"
        self._next += n
        return chosen

    def session(self, student: Student, url: str | None = None) -> HTTP:
        session = HTTP(api_key=student.api_key, api_secret=student.api_secret)
        session.endpoint = url or self.url
        return session

    def ws(self, path: str, url: str | None = None) -> str:
        return (url or self.url).replace("http://", "ws://") + path


@pytest.fixture(scope="module")
def room():
    r = Room()
    yield r
    r.exchange.stop()


def signed_get(url: str, key: str, secret: str, path: str, query: str) -> requests.Response:
    headers = signed_headers(key, secret, int(time.time() * 1000), query)
    return requests.get(f"{url}{path}?{query}", headers=headers, timeout=TIMEOUT)


def resting_buy(session: HTTP) -> str:
    """A linear limit buy 20 % under the market, so it rests; its orderId."""
    last = Decimal(session.get_tickers(category="linear", symbol="BTCUSDT")["result"]["list"][0]["lastPrice"])
    price = int(last * Decimal("0.8"))
    reply = session.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit",
                                qty="0.01", price=str(price))
    return reply["result"]["orderId"]


async def recv_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = TIMEOUT) -> dict[str, Any]:
    message = await ws.receive(timeout=timeout)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return message.json()


async def private_socket(http: aiohttp.ClientSession, room: Room, student: Student,
                         topics: list[str]) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(room.ws("/v5/private"))
    expires = int(time.time() * 1000) + 10_000
    await ws.send_json({"op": "auth", "args": websocket_auth_args(student.api_key, student.api_secret, expires)})
    assert (await recv_json(ws))["success"] is True
    await ws.send_json({"op": "subscribe", "args": topics})
    reply = await recv_json(ws)
    assert reply["success"] is True, reply
    return ws


def run(coro: Any, deadline: float = 20) -> Any:
    return asyncio.run(asyncio.wait_for(coro, deadline))


# ---------------------------------------------------------------------------------------------
# Keys and the keys file
# ---------------------------------------------------------------------------------------------
def test_generated_keys_are_unique_random_and_look_like_bybit_keys():
    students = classroom.generate_students(30)
    assert [s.name for s in students[:2]] == ["student01", "student02"] and students[-1].name == "student30"
    keys = {s.api_key for s in students}
    assert len(keys) == 30 and DEMO_API_KEY not in keys
    assert len({s.api_secret for s in students}) == 30
    for s in students:
        assert len(s.api_key) == classroom.KEY_LENGTH and len(s.api_secret) == classroom.SECRET_LENGTH
        assert set(s.api_key + s.api_secret) <= set(classroom.ALPHABET)
    again = classroom.generate_students(30)
    assert not keys & {s.api_key for s in again}          # a second class gets other keys
    assert classroom.generate_students(120)[-1].name == "student120"
    with pytest.raises(ValueError):
        classroom.generate_students(0)


def test_printing_a_student_never_shows_the_secret():
    student = classroom.generate_students(1)[0]
    for text in (repr(student), str(student), f"{student}", repr([student])):
        assert student.api_secret not in text and student.api_key not in text


def test_keys_file_is_owner_only_from_creation_and_reads_back(tmp_path):
    students = classroom.generate_students(3)
    path = tmp_path / "keys.csv"
    old = os.umask(0)                      # the most permissive umask: the mode must not depend on it
    try:
        classroom.write_keys_file(path, students)
    finally:
        os.umask(old)
    if POSIX:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert classroom.is_owner_only(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "student,api_key,api_secret"
    assert lines[1] == f"student01,{students[0].api_key},{students[0].api_secret}"
    assert classroom.read_keys_file(path) == students
    assert [p.name for p in tmp_path.iterdir()] == ["keys.csv"]


def test_existing_keys_file_is_never_overwritten_without_force(tmp_path):
    path = tmp_path / "keys.csv"
    path.write_text("the instructor's earlier keys\n")
    with pytest.raises(KeysFileError, match="already exists.*--force"):
        classroom.write_keys_file(path, classroom.generate_students(2))
    with pytest.raises(KeysFileError, match="already exists"):
        classroom.check_writable(path)
    assert path.read_text() == "the instructor's earlier keys\n"


def test_force_replaces_the_file_in_one_step_and_keeps_it_private(tmp_path):
    path = tmp_path / "keys.csv"
    path.write_text("old\n")
    if POSIX:
        path.chmod(0o644)                   # an old file others could read
    students = classroom.generate_students(2)
    classroom.write_keys_file(path, students, force=True)
    assert classroom.read_keys_file(path) == students
    if POSIX:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["keys.csv"]   # no temporary file left behind


def test_reading_a_file_that_is_not_a_keys_file_says_so(tmp_path):
    bad = tmp_path / "other.csv"
    bad.write_text("name,key\nx,y\n")
    with pytest.raises(KeysFileError, match="first line must be student,api_key,api_secret"):
        classroom.read_keys_file(bad)
    with pytest.raises(KeysFileError, match="does not exist"):
        classroom.read_keys_file(tmp_path / "missing.csv")


def test_student_urls_name_this_machine_for_a_server_on_every_interface():
    urls = classroom.student_urls("0.0.0.0", 8765)
    assert urls and all(u.startswith("http://") and u.endswith(":8765") for u in urls)
    assert not any("127.0.0.1" in u or "0.0.0.0" in u for u in urls)
    assert classroom.student_urls("127.0.0.1", 8765) == ["http://127.0.0.1:8765"]
    assert classroom.student_urls("10.1.2.3", 80) == ["http://10.1.2.3:80"]
    assert all(not a.startswith("127.") for a in LAN)


def test_student_env_is_what_config_reads(tmp_path):
    student = classroom.generate_students(1)[0]
    env_file = tmp_path / ".env"
    env_file.write_text(classroom.student_env("http://10.0.0.5:8765", student))
    s = config.settings(environ={}, dotenv_path=str(env_file))
    assert (s.env, s.rest_url, s.api_key, s.api_secret) == ("local", "http://10.0.0.5:8765",
                                                            student.api_key, student.api_secret)
    assert student.api_secret not in repr(s)


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["--accounts", "3"], "--accounts needs --keys-file"),
    (["--keys-file", "k.csv"], "--keys-file needs --accounts"),
    (["--reuse-keys"], "--reuse-keys needs --keys-file"),
    (["--keys-file", "k.csv", "--reuse-keys", "--force"], "choose one"),
    (["--accounts", "0", "--keys-file", "k.csv"], "between 1 and"),
])
def test_cli_refuses_flag_combinations_that_make_no_sense(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_cli_refuses_an_existing_keys_file_before_starting(tmp_path, capsys):
    path = tmp_path / "keys.csv"
    path.write_text("keep me\n")
    assert cli.main(["--port", "0", "--accounts", "2", "--keys-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and "--reuse-keys" in err
    assert path.read_text() == "keep me\n"


def test_banner_shows_where_to_connect_and_never_a_secret(room):
    args = cli.build_parser().parse_args(["--host", "0.0.0.0", "--accounts", "30", "--keys-file", "keys.csv"])
    text = cli.banner(room.exchange, args, room.students)
    for url in classroom.student_urls("0.0.0.0", room.exchange.port):
        assert f"BYBIT_LOCAL_URL={url}" in text
    assert "BYBIT_API_KEY=<api_key from their row>" in text and "student01 ... student30" in text
    for s in room.students:
        assert s.api_secret not in text and s.api_key not in text
    loopback = cli.build_parser().parse_args(["--accounts", "3", "--keys-file", "keys.csv"])
    assert "--host 0.0.0.0" in cli.banner(room.exchange, loopback, room.students[:3])


def _read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    """stdout of ``process`` up to the line containing ``marker`` (fails after ``timeout``)."""
    lines: list[str] = []
    found = threading.Event()

    def reader() -> None:
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                found.set()
                return

    threading.Thread(target=reader, daemon=True).start()
    assert found.wait(timeout), f"server printed no {marker!r}: {''.join(lines)!r}"
    return "".join(lines)


def test_command_line_classroom_end_to_end(tmp_path):
    """``python -m local_exchange --host 0.0.0.0 --accounts 3 --keys-file ...`` as an instructor runs it."""
    keys = tmp_path / "keys.csv"
    process = subprocess.Popen(
        [sys.executable, "-m", "local_exchange", "--host", "0.0.0.0", "--port", "0",
         "--accounts", "3", "--keys-file", str(keys)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out = _read_until(process, "Ctrl-C", 10)
        students = classroom.read_keys_file(keys)
        assert len(students) == 3 and classroom.is_owner_only(keys)
        for s in students:
            assert s.api_secret not in out and s.api_key not in out
        urls = [line.split("=", 1)[1].strip() for line in out.splitlines()
                if line.strip().startswith("BYBIT_LOCAL_URL=")]
        assert urls and "127.0.0.1" not in urls[0]
        if LAN:
            assert urls[0].startswith(f"http://{LAN[0]}:")
            session = HTTP(api_key=students[0].api_key, api_secret=students[0].api_secret)
            session.endpoint = urls[0]
            assert session.get_wallet_balance(accountType="UNIFIED")["retCode"] == 0
    finally:
        process.terminate()        # only the process this test started
        process.wait(10)
    # A second start with the same file is refused and leaves the keys alone.
    again = subprocess.run([sys.executable, "-m", "local_exchange", "--port", "0", "--accounts", "3",
                            "--keys-file", str(keys)], capture_output=True, text=True, timeout=20)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert classroom.read_keys_file(keys) == students


# ---------------------------------------------------------------------------------------------
# A learner's one setting: BYBIT_LOCAL_URL plus their own key pair
# ---------------------------------------------------------------------------------------------
def test_a_learner_connects_with_the_local_url_and_their_keys(room, monkeypatch):
    (student,) = room.take(1)
    monkeypatch.setenv("BYBIT_ENV", "local")
    monkeypatch.setenv("BYBIT_LOCAL_URL", room.url)
    monkeypatch.setenv("BYBIT_API_KEY", student.api_key)
    monkeypatch.setenv("BYBIT_API_SECRET", student.api_secret)
    session = connect.http()
    assert session.endpoint == room.url
    info = session.get_api_key_information()["result"]
    assert info["userID"] == room.exchange.app[ACCOUNTS].get(student.api_key).uid

    pushed: queue.Queue = queue.Queue()
    ws = connect.websocket("private")               # pybit's WebSocket, same setting, same key
    try:
        ws.order_stream(pushed.put)
        account = room.exchange.app[ACCOUNTS].get(student.api_key)
        assert until(lambda: any(c.state.get("account") is account and c.topics
                                 for c in list(room.exchange.app[WS_CONNECTIONS]))), "pybit never subscribed"
        order_id = resting_buy(session)
        message = pushed.get(timeout=TIMEOUT)
        assert message["data"][0]["orderId"] == order_id
    finally:
        ws.exit()


def test_a_remote_learner_without_keys_is_told_to_use_their_own():
    with pytest.raises(config.ConfigError, match="one key pair per student"):
        config.settings(environ={"BYBIT_LOCAL_URL": "http://10.0.0.5:8765"}, dotenv_path="")


# ---------------------------------------------------------------------------------------------
# The demo key off loopback
# ---------------------------------------------------------------------------------------------
def test_authenticate_refuses_the_demo_key_from_another_machine(room):
    accounts = room.exchange.app[ACCOUNTS]
    (student,) = room.take(1)

    def call(key: str, secret: str, remote: str, allow: bool = False):
        now = int(time.time() * 1000)
        return authenticate(signed_headers(key, secret, now, ""), b"", accounts, now, remote, allow)

    with pytest.raises(BybitError) as refused:
        call(DEMO_API_KEY, DEMO_API_SECRET, "192.0.2.77")
    assert refused.value.code == 10003 and "only accepted from the machine" in refused.value.message
    assert call(DEMO_API_KEY, DEMO_API_SECRET, "127.0.0.1").api_key == DEMO_API_KEY
    assert call(DEMO_API_KEY, DEMO_API_SECRET, "::1").api_key == DEMO_API_KEY
    assert call(DEMO_API_KEY, DEMO_API_SECRET, "192.0.2.77", allow=True).api_key == DEMO_API_KEY
    assert call(student.api_key, student.api_secret, "192.0.2.77").api_key == student.api_key


@pytest.mark.skipif(not LAN, reason="this machine has no non-loopback address")
def test_demo_key_over_the_network_is_refused_on_rest_and_websocket(room):
    assert room.url != room.loopback_url
    refused = signed_get(room.url, DEMO_API_KEY, DEMO_API_SECRET, "/v5/account/wallet-balance",
                         "accountType=UNIFIED").json()
    assert refused["retCode"] == 10003 and "only accepted from the machine" in refused["retMsg"]
    assert signed_get(room.loopback_url, DEMO_API_KEY, DEMO_API_SECRET, "/v5/account/wallet-balance",
                      "accountType=UNIFIED").json()["retCode"] == 0

    async def ws_auth(url: str) -> dict:
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(room.ws("/v5/private", url)) as ws:
                expires = int(time.time() * 1000) + 10_000
                await ws.send_json({"op": "auth", "args": websocket_auth_args(DEMO_API_KEY, DEMO_API_SECRET, expires)})
                return await recv_json(ws)

    remote, local = run(ws_auth(room.url)), run(ws_auth(room.loopback_url))
    assert remote["success"] is False and "only accepted from the machine" in remote["ret_msg"]
    assert local["success"] is True


# ---------------------------------------------------------------------------------------------
# One student cannot see or touch another's orders, wallet or limits
# ---------------------------------------------------------------------------------------------
def test_one_student_cannot_see_or_cancel_anothers_orders(room):
    alice, bob = room.take(2)
    a, b = room.session(alice), room.session(bob)
    order_id = resting_buy(a)

    mine = a.get_open_orders(category="linear", symbol="BTCUSDT", orderId=order_id)["result"]["list"]
    assert [o["orderId"] for o in mine] == [order_id]
    assert b.get_open_orders(category="linear", symbol="BTCUSDT", orderId=order_id)["result"]["list"] == []
    assert b.get_open_orders(category="linear", symbol="BTCUSDT")["result"]["list"] == []
    assert b.get_order_history(category="linear", orderId=order_id)["result"]["list"] == []
    assert b.get_order_history(category="linear")["result"]["list"] == []
    with pytest.raises(InvalidRequestError) as not_found:
        b.cancel_order(category="linear", symbol="BTCUSDT", orderId=order_id)
    assert not_found.value.status_code == 110001
    assert b.cancel_all_orders(category="linear", symbol="BTCUSDT")["result"]["list"] == []
    still = a.get_open_orders(category="linear", symbol="BTCUSDT", orderId=order_id)["result"]["list"]
    assert still[0]["orderStatus"] == "New"          # Bob's attempts changed nothing


def test_each_student_has_their_own_wallet(room):
    alice, bob = room.take(2)
    a, b = room.session(alice), room.session(bob)
    fresh = b.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]
    resting_buy(a)
    alice_wallet = a.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]
    bob_wallet = b.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]
    assert Decimal(alice_wallet["totalInitialMargin"]) > 0       # Alice's order holds margin
    assert Decimal(bob_wallet["totalInitialMargin"]) == 0
    # (totals count BTC and ETH at live prices, so compare Bob's coins themselves)
    def coins(wallet):
        return {c["coin"]: (c["walletBalance"], c["locked"], c["totalOrderIM"]) for c in wallet["coin"]}
    assert coins(bob_wallet) == coins(fresh)


def test_each_student_has_their_own_rate_limits(room):
    alice, bob = room.take(2)
    codes = [signed_get(room.url, alice.api_key, alice.api_secret, "/v5/order/realtime", "category=linear&symbol=BTCUSDT")
             .json()["retCode"] for _ in range(6)]        # teaching limit: 5 per second
    assert codes[:5] == [0] * 5 and codes[5] == 10006
    bob_reply = signed_get(room.url, bob.api_key, bob.api_secret, "/v5/order/realtime", "category=linear&symbol=BTCUSDT")
    assert bob_reply.json()["retCode"] == 0
    assert bob_reply.headers["X-Bapi-Limit-Status"] == "4"    # Bob's own window: one used of five


def test_private_stream_carries_only_the_students_own_orders(room):
    alice, bob = room.take(2)

    async def body() -> None:
        async with aiohttp.ClientSession() as http:
            ws_a = await private_socket(http, room, alice, ["order", "execution", "wallet"])
            ws_b = await private_socket(http, room, bob, ["order", "execution", "wallet"])
            order_id = await asyncio.to_thread(resting_buy, room.session(alice))
            pushed = await recv_json(ws_a)
            assert pushed["topic"] == "order" and pushed["data"][0]["orderId"] == order_id
            with pytest.raises(asyncio.TimeoutError):
                await ws_b.receive(timeout=0.5)       # Bob hears nothing of Alice's order
            await ws_a.close()
            await ws_b.close()

    run(body())


# ---------------------------------------------------------------------------------------------
# A whole class streaming at once
# ---------------------------------------------------------------------------------------------
def test_thirty_students_stream_at_once(room):
    """30 students, each with a public and a private socket, all served within a few seconds."""
    students = room.students          # every account in the room, including ones other tests used

    async def student_day(http: aiohttp.ClientSession, student: Student) -> float:
        started = time.monotonic()
        public = await http.ws_connect(room.ws("/v5/public/linear"))
        await public.send_json({"op": "subscribe", "args": ["tickers.BTCUSDT", "publicTrade.BTCUSDT"]})
        private = await private_socket(http, room, student, ["order"])
        topics = set()
        while len(topics) < 2:                     # a ticker and a trade, after the subscribe reply
            message = await recv_json(public)
            topics.add(message.get("topic", "").split(".")[0] or None)
            topics.discard(None)
        reply = await http.post(room.url + "/v5/order/create", data=(body := _order_body()),
                                headers={**signed_headers(student.api_key, student.api_secret,
                                                          int(time.time() * 1000), body),
                                         "Content-Type": "application/json"})
        order_id = (await reply.json())["result"]["orderId"]
        pushed = await recv_json(private)
        assert [o["orderId"] for o in pushed["data"]] == [order_id]
        await public.close()
        await private.close()
        return time.monotonic() - started

    async def everyone() -> list[float]:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            return await asyncio.gather(*(student_day(http, s) for s in students))

    started = time.monotonic()
    took = run(everyone(), deadline=15)
    assert len(took) == STUDENTS and max(took) < 10
    assert time.monotonic() - started < 15


def _order_body() -> str:
    return ('{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit",'
            '"qty":"0.01","price":"1000"}')


def test_thirty_pybit_clients_stream_at_once(room):
    """30 learners' pybit WebSockets on one server: every one receives tickers within seconds."""
    from helpers.connect import LocalWebSocket

    address = room.ws("/v5/public/linear")
    counts = [0] * STUDENTS
    lock = threading.Lock()
    everyone_heard = threading.Event()

    def callback_for(i: int):
        def on_message(message: dict) -> None:
            with lock:
                counts[i] += 1
                if min(counts) >= 3:
                    everyone_heard.set()
        return on_message

    started = time.monotonic()
    sockets = []
    try:
        for i in range(STUDENTS):
            ws = LocalWebSocket("linear", address, testnet=False, retries=3)
            sockets.append(ws)
            ws.ticker_stream("BTCUSDT", callback_for(i))
        assert everyone_heard.wait(10), f"messages per client: {counts}"
    finally:
        for ws in sockets:
            ws.exit()
    assert time.monotonic() - started < 15


def test_reuse_keys_serves_the_files_keys_again(tmp_path):
    path = tmp_path / "keys.csv"
    students = classroom.generate_students(4)
    classroom.write_keys_file(path, students)
    parser = cli.build_parser()
    args = parser.parse_args(["--keys-file", str(path), "--reuse-keys"])
    cli.check_classroom_args(parser, args)
    assert cli.classroom_students(args) == students
    config = cli.config_from(args, students)
    assert config.extra_accounts == tuple((s.api_key, s.api_secret) for s in students)
    wrong = parser.parse_args(["--keys-file", str(path), "--reuse-keys", "--accounts", "5"])
    with pytest.raises(KeysFileError, match="holds 4 students"):
        cli.classroom_students(wrong)


@pytest.mark.skipif(not LAN, reason="this machine has no non-loopback address")
def test_the_wire_log_is_served_to_the_exchange_machine_only(room):
    remote = requests.get(f"{room.url}/local/wire", timeout=TIMEOUT)
    assert remote.status_code == 403 and remote.json()["retCode"] == 10005
    local = requests.get(f"{room.loopback_url}/local/wire", timeout=TIMEOUT)
    assert local.status_code == 200 and isinstance(local.json(), list)
