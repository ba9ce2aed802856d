#!/usr/bin/env python3
"""Drives headless Chromium through the example app's sign-in (Scripts/browser-test starts
the app processes and passes their URLs). Each step prints `ok - NAME` or `not ok - NAME`;
a failing step saves a PNG screenshot and the HTML of every open browser to --artifacts.
The last line is `N passed, N failed`."""

import argparse
import http.client
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CONSUMER_SECRET = "signin-app-consumer-secret"
OAUTH2_CLIENT_SECRET = "signin-app-oauth2-client-secret"
OAUTH2_PROVIDER = "local-oauth2"
OAUTH2_USER = "oauth2_user"  # the local OAuth 2.0 provider's one account
WAIT_SECONDS = 60  # a loaded 2-core machine can take a while for a first page


class Run:
    def __init__(self, artifacts):
        self.artifacts = artifacts
        self.browsers = []
        self.passed = 0
        self.failed = 0
        self.profiles = tempfile.mkdtemp(prefix="signin-profiles.")
        # What a page, cookie or header must never show.
        self.verifiers = set()  # OAuth 1.0a verifiers and OAuth 2.0 codes
        self.codes = set()  # the OAuth 2.0 codes alone, to check some were seen
        self.request_tokens = set()  # OAuth 1.0a request tokens and OAuth 2.0 states
        self.stored = set()  # every token seen in the store (refreshes replace them)

    def browser(self, name):
        options = Options()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1000,800", "--no-first-run", "--disable-extensions",
                         f"--user-data-dir={os.path.join(self.profiles, name)}"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        driver.set_page_load_timeout(WAIT_SECONDS)
        driver.profile_name = name
        driver.network_log = []
        self.browsers.append(driver)
        return driver

    def step(self, name, body):
        started = time.monotonic()
        try:
            body()
        except Exception:
            self.failed += 1
            print(f"not ok - {name} ({time.monotonic() - started:.1f} s)", flush=True)
            traceback.print_exc()
            self.save_artifacts(name)
            return False
        self.passed += 1
        print(f"ok - {name} ({time.monotonic() - started:.1f} s)", flush=True)
        return True

    def save_artifacts(self, step):
        os.makedirs(self.artifacts, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", step).strip("-")[:60]
        for driver in self.browsers:
            try:
                for index, handle in enumerate(driver.window_handles):
                    driver.switch_to.window(handle)
                    base = os.path.join(self.artifacts, f"{slug}.{driver.profile_name}.{index}")
                    driver.save_screenshot(base + ".png")
                    with open(base + ".html", "w") as page:
                        page.write(driver.current_url + "\n" + driver.page_source)
            except Exception as error:  # a dead browser must not hide the real failure
                print(f"  (no screenshot of {driver.profile_name}: {error})")
        print(f"  artifacts: {self.artifacts}")

    def close(self):
        for driver in self.browsers:
            try:
                driver.quit()
            except Exception:
                pass
        shutil.rmtree(self.profiles, ignore_errors=True)


def wait(driver, css, text=None):
    """The element matching `css` once it shows (with `text` in it, if given)."""
    def found(d):
        for element in d.find_elements(By.CSS_SELECTOR, css):
            if text is None or text in element.text:
                return element
        return False
    try:
        return WebDriverWait(driver, WAIT_SECONDS).until(found)
    except TimeoutException:
        raise AssertionError(f"{driver.profile_name}: no {css!r}{' with ' + repr(text) if text else ''} "
                             f"on {driver.current_url}")


def collect_network(driver):
    """Moves Chromium's performance log (every request and response header) into driver.network_log."""
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.responseReceivedExtraInfo", "Network.requestWillBeSent"):
            driver.network_log.append(message)
            params = message["params"]
            url = params.get("request", {}).get("url", "")
            query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
            run.verifiers.update(query.get("oauth_verifier", []))
            run.verifiers.update(query.get("code", []))
            run.codes.update(query.get("code", []))
            run.request_tokens.update(query.get("oauth_token", []))
            run.request_tokens.update(query.get("denied", []))
            run.request_tokens.update(query.get("state", []))


def allow_as(driver, screen_name):
    """On the provider's page: types the screen name and clicks Allow."""
    wait(driver, "#allow")
    field = driver.find_element(By.ID, "screen_name")
    field.clear()
    field.send_keys(screen_name)
    driver.find_element(By.ID, "allow").click()


def sign_in(driver, app, screen_name):
    """Clicks through sign-in as `screen_name` and returns at the app's home page."""
    driver.get(app + "/")
    wait(driver, "#sign-in").click()
    allow_as(driver, screen_name)
    wait(driver, "#screen-name", "@" + screen_name)
    collect_network(driver)


def approve_outside_browser(driver, app, screen_name):
    """Begins a flow in `driver` and approves it at the provider without following the
    redirect: the callback URL this browser would be sent to, not yet opened."""
    driver.get(app + "/auth/local")
    wait(driver, "#allow")
    token = driver.find_element(By.NAME, "oauth_token").get_attribute("value")
    provider = urllib.parse.urlparse(driver.current_url)
    body = urllib.parse.urlencode({"oauth_token": token, "screen_name": screen_name, "decision": "allow"})
    connection = http.client.HTTPConnection(provider.hostname, provider.port, timeout=WAIT_SECONDS)
    connection.request("POST", "/oauth/authorize", body, {"Content-Type": "application/x-www-form-urlencoded"})
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 303, f"provider answered {answer.status}"
    callback = answer.getheader("Location")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(callback).query)
    run.verifiers.update(query.get("oauth_verifier", []))
    run.request_tokens.add(token)
    return callback


def http_flow(app, screen_name):
    """The whole sign-in with plain HTTP requests, no redirect followed: every app answer's
    headers, for the leak check."""
    answers = []
    cookies = {}

    def request(url, method="GET", body=None, headers=None):
        parts = urllib.parse.urlparse(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT_SECONDS)
        all_headers = dict(headers or {})
        if cookies and parts.geturl().startswith(app):
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection.request(method, parts.path + ("?" + parts.query if parts.query else ""), body, all_headers)
        answer = connection.getresponse()
        answer.read()
        if url.startswith(app):
            answers.append((url, answer.status, answer.getheaders()))
            for value in answer.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                cookies[name] = rest.split(";", 1)[0]
        return answer

    begin = request(app + "/auth/local")
    assert begin.status == 302, begin.status
    authorize = begin.getheader("Location")
    token = urllib.parse.parse_qs(urllib.parse.urlparse(authorize).query)["oauth_token"][0]
    run.request_tokens.add(token)
    provider = urllib.parse.urlparse(authorize)
    decision = request(f"{provider.scheme}://{provider.netloc}/oauth/authorize", "POST",
                       urllib.parse.urlencode({"oauth_token": token, "screen_name": screen_name, "decision": "allow"}),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    assert decision.status == 303, decision.status
    callback = decision.getheader("Location")
    run.verifiers.update(urllib.parse.parse_qs(urllib.parse.urlparse(callback).query)["oauth_verifier"])
    done = request(callback)
    assert done.status == 303, done.status
    home = request(app + "/")
    assert home.status == 200
    return answers


def stored_secrets(db):
    """Every access token and secret, and every OAuth 2.0 access and refresh token, in the
    app's SQLite store now, added to run.stored (a refresh replaces the stored ones)."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT token, secret FROM access_tokens").fetchall()
        rows += connection.execute("SELECT access_token, refresh_token FROM token_sets").fetchall()
    finally:
        connection.close()
    run.stored.update(value for row in rows for value in row if value)
    return set(run.stored)


def stored_token_set(db, user_id):
    """(access token, version) of the OAuth 2.0 token set stored for user_id, or None."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT access_token, version FROM token_sets WHERE provider = ? AND user_id = ?",
                                  (OAUTH2_PROVIDER, user_id)).fetchone()
    finally:
        connection.close()


def metric(app, outcome, provider="local", name="tokenstore_sign_ins_total"):
    with urllib.request.urlopen(app + "/metrics", timeout=WAIT_SECONDS) as answer:
        text = answer.read().decode()
    for line in text.splitlines():
        if line.startswith(name + "{") and f'outcome="{outcome}"' in line and f'provider="{provider}"' in line:
            return float(line.rsplit(" ", 1)[1]), text
    return 0.0, text


def sign_in_oauth2(driver, app):
    """Clicks "Sign in with OAuth 2.0", Allow at the provider, and returns at the app's home page."""
    driver.get(app + "/")
    wait(driver, "#sign-in-oauth2").click()
    wait(driver, "#allow").click()
    wait(driver, "#screen-name", "@" + OAUTH2_USER)
    wait(driver, "#signed-in-with", "OAuth 2.0")
    collect_network(driver)


def post(driver, text):
    wait(driver, "#status").send_keys(text)
    driver.find_element(By.ID, "post").click()
    shown = wait(driver, "#posted-text").text
    assert shown == text, f"posted {shown!r}, expected {text!r}"


TOKEN_LIFETIME = 3


def main():
    global run
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True, help="the SQLite app's root URL")
    parser.add_argument("--db", required=True, help="the SQLite app's database file")
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--oauth2-token-lifetime", type=int, default=3,
                        help="the app's --oauth2-token-lifetime: the OAuth 2.0 access tokens' lifetime in seconds")
    parser.add_argument("--cross", nargs=3, action="append", default=[], metavar=("NAME", "BEGIN_URL", "CALLBACK_URL"),
                        help="two app processes sharing a store: sign in at the first, land on the second")
    args = parser.parse_args()
    global TOKEN_LIFETIME
    TOKEN_LIFETIME = args.oauth2_token_lifetime
    app = args.app.rstrip("/")
    run = Run(args.artifacts)
    expected_ok = 0
    try:
        alice = run.browser("alice")
        bob = run.browser("bob")

        def signs_in():
            sign_in(alice, app, "alice")
        if run.step("profile alice signs in (Allow) and sees her screen name", signs_in):
            expected_ok += 1

        def posts():
            text = f"hello from Chromium {time.time_ns()} & <friends>"
            wait(alice, "#status").send_keys(text)
            alice.find_element(By.ID, "post").click()
            shown = wait(alice, "#posted-text").text
            assert shown == text, f"posted {shown!r}, expected {text!r}"
        run.step("alice posts a status, signed with the stored token", posts)

        def reloads():
            alice.get(app + "/")
            alice.refresh()
            wait(alice, "#screen-name", "@alice")
        run.step("alice reloads: still signed in", reloads)

        def two_profiles():
            sign_in(bob, app, "bob")
            alice.get(app + "/")
            wait(alice, "#screen-name", "@alice")
            bob.refresh()
            wait(bob, "#screen-name", "@bob")
        if run.step("a second profile signs in as bob at the same time; each sees its own name", two_profiles):
            expected_ok += 1

        def foreign_callback():
            callback = approve_outside_browser(alice, app, "alice")
            bob.get(callback)
            wait(bob, "#sign-in-error", "another browser")
            assert bob.find_element(By.ID, "start-again").get_attribute("href").endswith("/auth/local")
            bob.get(app + "/")
            wait(bob, "#screen-name", "@bob")  # bob's own sign-in is untouched
            alice.get(callback)
            wait(alice, "#screen-name", "@alice")
            alice.get(callback)  # replayed: used up
            wait(alice, "#sign-in-error", "already used")
            collect_network(alice)
            collect_network(bob)
        if run.step("alice's callback opened in bob's profile is refused; alice still completes; a replay is refused",
                    foreign_callback):
            expected_ok += 1

        def two_tabs():
            first = alice.current_window_handle
            alice.get(app + "/auth/local")
            wait(alice, "#allow")
            alice.switch_to.new_window("tab")
            second = alice.current_window_handle
            alice.get(app + "/auth/local")
            allow_as(alice, "alice")
            wait(alice, "#screen-name", "@alice")
            alice.switch_to.window(first)
            allow_as(alice, "alice")
            wait(alice, "#screen-name", "@alice")
            collect_network(alice)
            alice.switch_to.window(second)
            alice.close()
            alice.switch_to.window(first)
        if run.step("two tabs of one profile, each with a flow pending, both complete", two_tabs):
            expected_ok += 2

        def deny():
            carol = run.browser("carol")
            carol.get(app + "/")
            wait(carol, "#sign-in").click()
            wait(carol, "#deny").click()
            wait(carol, "#notice", "declined")
            wait(carol, "#signed-out")
            collect_network(carol)
        run.step("Deny at the provider: back at the app with a clear message, not signed in", deny)

        def signs_out():
            alice.get(app + "/")
            wait(alice, "#sign-out").click()
            wait(alice, "#signed-out")
            alice.refresh()
            wait(alice, "#signed-out")
        run.step("alice signs out and stays signed out on reload", signs_out)

        def oauth2_signs_in():
            sign_in_oauth2(olivia, app)
            stored_secrets(args.db)
        olivia = run.browser("olivia")
        if run.step("OAuth 2.0: profile olivia signs in (Allow) and sees her screen name", oauth2_signs_in):
            oauth2_ok = 1
        else:
            oauth2_ok = 0

        def oauth2_posts():
            post(olivia, f"hello over OAuth 2.0 {time.time_ns()} & <friends>")
            wait(olivia, "#posted", "@" + OAUTH2_USER)
            olivia.get(app + "/")
            olivia.refresh()
            wait(olivia, "#screen-name", "@" + OAUTH2_USER)
        run.step("OAuth 2.0: olivia posts a status with a Bearer token, reloads: still signed in", oauth2_posts)

        def oauth2_refreshes():
            user_id = olivia.find_element(By.ID, "user-id").text
            before = stored_token_set(args.db, user_id)
            assert before, "no token set stored for olivia"
            refreshed, _ = metric(app, "refreshed", OAUTH2_PROVIDER, "tokenstore_oauth2_refreshes_total")
            time.sleep(TOKEN_LIFETIME + 1)  # past the access token's lifetime
            post(olivia, "after the access token expired")
            after = stored_token_set(args.db, user_id)
            assert after[0] != before[0], "the stored access token was not replaced"
            assert after[1] > before[1], f"token set version {before[1]} -> {after[1]}"
            now, _ = metric(app, "refreshed", OAUTH2_PROVIDER, "tokenstore_oauth2_refreshes_total")
            assert now > refreshed, f"tokenstore_oauth2_refreshes_total refreshed {refreshed} -> {now}"
            stored_secrets(args.db)
            olivia.get(app + "/")
            wait(olivia, "#screen-name", "@" + OAUTH2_USER)
        run.step("OAuth 2.0: past the access token's lifetime a post refreshes it through the store", oauth2_refreshes)

        def oauth2_signs_out():
            wait(olivia, "#sign-out").click()
            wait(olivia, "#signed-out")
            olivia.refresh()
            wait(olivia, "#signed-out")
            collect_network(olivia)
        run.step("OAuth 2.0: olivia signs out and stays signed out on reload", oauth2_signs_out)

        def oauth2_deny():
            dave = run.browser("dave")
            dave.get(app + "/")
            wait(dave, "#sign-in-oauth2").click()
            wait(dave, "#deny").click()
            wait(dave, "#notice", "declined")
            wait(dave, "#signed-out")
            collect_network(dave)
        run.step("OAuth 2.0: Deny at the provider: back at the app with a clear message, not signed in", oauth2_deny)

        answers = []

        def plain_http():
            answers.extend(http_flow(app, "frank"))
        if run.step("the same sign-in over plain HTTP, every answer's headers kept", plain_http):
            expected_ok += 1

        def no_leaks():
            secrets = stored_secrets(args.db) | {CONSUMER_SECRET, OAUTH2_CLIENT_SECRET}
            assert len(secrets) > 1, "no access token in the store to look for"
            never_anywhere = secrets | run.verifiers
            assert run.verifiers, "no verifier was seen to look for"
            assert run.codes, "no OAuth 2.0 authorization code was seen to look for"
            problems = []
            for url, status, headers in answers:
                for name, value in headers:
                    for secret in never_anywhere:
                        if secret in value:
                            problems.append(f"{url} ({status}) header {name} holds a token, secret or verifier")
                    if name.lower() == "set-cookie" and any(token in value for token in run.request_tokens):
                        problems.append(f"{url} sets a cookie holding a request token")
            for driver in run.browsers:
                try:
                    collect_network(driver)
                except Exception:
                    pass
                for cookie in driver.get_cookies():
                    for secret in never_anywhere | run.request_tokens:
                        if secret in cookie["value"]:
                            problems.append(f"{driver.profile_name}: cookie {cookie['name']} holds a token, secret or verifier")
                    if not cookie.get("httpOnly"):
                        problems.append(f"{driver.profile_name}: cookie {cookie['name']} is not HttpOnly")
                    if cookie.get("sameSite") != "Lax":
                        problems.append(f"{driver.profile_name}: cookie {cookie['name']} is not SameSite=Lax")
                for message in driver.network_log:
                    if message["method"] != "Network.responseReceivedExtraInfo":
                        continue
                    for name, value in message["params"].get("headers", {}).items():
                        if any(secret in value for secret in secrets):
                            problems.append(f"{driver.profile_name}: a response header {name} holds a token or secret")
                        if name.lower() == "set-cookie" and any(v in value for v in run.verifiers | run.request_tokens):
                            problems.append(f"{driver.profile_name}: a Set-Cookie holds a verifier or request token")
                page = driver.page_source
                if any(secret in page for secret in secrets):
                    problems.append(f"{driver.profile_name}: the page at {driver.current_url} shows a token or secret")
            assert not problems, "\n".join(sorted(set(problems)))
        run.step("no cookie, header or page holds a token, secret or verifier (cookies HttpOnly, SameSite=Lax)", no_leaks)

        def metrics():
            ok, text = metric(app, "ok")
            assert ok == expected_ok, f"tokenstore_sign_ins_total ok = {ok}, expected {expected_ok}"
            denied, _ = metric(app, "denied")
            assert denied == 1, f"denied = {denied}"
            assert "tokenstore_operation_duration_seconds" in text, "the store's timers are missing"
            ok, _ = metric(app, "ok", OAUTH2_PROVIDER)
            assert ok == oauth2_ok, f"OAuth 2.0 sign-ins ok = {ok}, expected {oauth2_ok}"
            denied, _ = metric(app, "denied", OAUTH2_PROVIDER)
            assert denied == 1, f"OAuth 2.0 denied = {denied}"
        run.step("/metrics counts the sign-ins (tokenstore_sign_ins_total) and the store's operations", metrics)

        for name, begin, callback in args.cross:
            begin, callback = begin.rstrip("/"), callback.rstrip("/")

            def cross(name=name, begin=begin, callback=callback):
                erin = run.browser("erin-" + name)
                erin.get(begin + "/")
                wait(erin, "#sign-in").click()
                allow_as(erin, "erin")
                wait(erin, "#screen-name", "@erin")
                landed = urllib.parse.urlparse(erin.current_url)
                assert landed.port == urllib.parse.urlparse(callback).port, f"landed on {erin.current_url}"
                erin.get(begin + "/")  # the first process reads the same token from the shared store
                wait(erin, "#screen-name", "@erin")
                erin.quit()
                run.browsers.remove(erin)
            run.step(f"{name}: begun on one app process, completed on another sharing the store", cross)

            def cross_oauth2(name=name, begin=begin, callback=callback):
                fiona = run.browser("fiona-" + name)
                fiona.get(begin + "/")
                wait(fiona, "#sign-in-oauth2").click()
                wait(fiona, "#allow").click()
                wait(fiona, "#screen-name", "@" + OAUTH2_USER)
                landed = urllib.parse.urlparse(fiona.current_url)
                assert landed.port == urllib.parse.urlparse(callback).port, f"landed on {fiona.current_url}"
                time.sleep(TOKEN_LIFETIME + 1)  # expired: the first process refreshes through the shared store
                fiona.get(begin + "/")
                post(fiona, "refreshed on the other process")
                fiona.get(callback + "/")
                post(fiona, "and used on this one")
                fiona.quit()
                run.browsers.remove(fiona)
            run.step(f"{name}: OAuth 2.0 begun on one app process, completed on another, refreshed through the store",
                     cross_oauth2)
    finally:
        run.close()
    print(f"{run.passed} passed, {run.failed} failed")
    return 1 if run.failed else 0


run = None
if __name__ == "__main__":
    sys.exit(main())
