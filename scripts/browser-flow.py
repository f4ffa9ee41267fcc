#!/usr/bin/env python3
"""Drives headless Chromium through a reader's whole journey against a running Paperboy server,
over the Chrome DevTools Protocol (websocket-client from PyPI; no browser download):

  sign in by the link mailed to the .eml folder, choose a username, upvote a paper with the
  page's JavaScript (the count changes in place), save it to the library (in place too), post a
  comment, reload and check all three stuck; submit a paper by its arXiv URL (SUBMIT_ID, fetched
  by the server from the arXiv API it was pointed at); subscribe to the digest from the footer,
  confirm with the button the mailed link opens, and unsubscribe from the preferences page.

Usage: browser-flow.py CHROMIUM BASE_URL MAIL_FOLDER PAPER_ID EMAIL USERNAME [SUBMIT_ID]
Exits 0 when every step worked; prints what it saw otherwise. Used by EndToEndTests.
"""
import email
import email.policy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Browser:
    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="paperboy-chromium-")
        self.process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", "--window-size=1000,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if time.time() > deadline or self.process.poll() is not None:
                raise SystemExit("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
        page = next(target for target in targets if target["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, params=None):
        self.next_id += 1
        identifier = self.next_id
        self.socket.send(json.dumps({"id": identifier, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == identifier:
                if "error" in message:
                    raise SystemExit(f"{method} failed: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for_load(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for index, event in enumerate(self.events):
                if event.get("method") == "Page.loadEventFired":
                    del self.events[: index + 1]
                    return
            self.socket.settimeout(max(0.1, deadline - time.time()))
            self.events.append(json.loads(self.socket.recv()))
        raise SystemExit("page did not finish loading")

    def navigate(self, url):
        self.events.clear()
        self.call("Page.navigate", {"url": url})
        self.wait_for_load()

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise SystemExit(f"script failed: {expression}\n{result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def submit(self, expression):
        """Runs `expression`, which submits a form, and waits for the next page."""
        self.events.clear()
        self.evaluate(expression)
        self.wait_for_load()

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=20)
        shutil.rmtree(self.profile, ignore_errors=True)


def sign_in_link(folder, address):
    return mailed_link(folder, address, r"https?://\S+/signin/confirm\?token=[A-Za-z0-9_\-]+")


def mailed_link(folder, address, pattern):
    """The first match of `pattern` in the newest mail to `address` that has one."""
    for path in sorted(glob.glob(os.path.join(folder, "*.eml")), reverse=True):
        with open(path, "rb") as handle:
            message = email.message_from_binary_file(handle, policy=email.policy.default)
        if address in str(message["To"]):
            body = message.get_body(preferencelist=("plain",)).get_content()
            match = re.search(pattern, body)
            if match:
                return match.group(0)
    return None


def wait_until(browser, expression, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if browser.evaluate(expression):
            return True
        time.sleep(0.1)
    return False


def check(condition, what, seen=""):
    if not condition:
        raise SystemExit(f"FAILED: {what}\n{seen}"[:3000])
    print(f"ok: {what}")


def main():
    chromium, base, folder, paper_id, address, username = sys.argv[1:7]
    submit_id = sys.argv[7] if len(sys.argv) > 7 else None
    browser = Browser(chromium)
    try:
        browser.navigate(f"{base}/signin")
        browser.submit(f"document.querySelector('#email').value = {json.dumps(address)}; document.querySelector('form.stacked').submit()")
        check("Check your inbox" in browser.evaluate("document.body.innerText"), "sign-in mail requested")
        link = sign_in_link(folder, address)
        check(link is not None, "the .eml folder has a sign-in link", os.listdir(folder))
        browser.navigate(link)
        browser.submit(f"document.querySelector('#username').value = {json.dumps(username)}; document.querySelector('form.stacked').submit()")
        check(username in browser.evaluate("document.querySelector('nav.primary').innerText"), "signed in, name in the header",
              browser.evaluate("document.body.innerText"))

        browser.navigate(f"{base}/papers/{paper_id}")
        before = int(browser.evaluate("document.querySelector('.paper-votes [data-count]').textContent"))
        url_before = browser.evaluate("location.href")
        browser.evaluate("document.querySelector('.paper-votes form.vote button').click()")
        deadline = time.time() + 10
        after = before
        while time.time() < deadline and after == before:
            time.sleep(0.1)
            after = int(browser.evaluate("document.querySelector('.paper-votes [data-count]').textContent"))
        check(after == before + 1, f"upvote counted in place ({before} -> {after})")
        check(browser.evaluate("location.href") == url_before, "no page reload for the vote")
        check(browser.evaluate("document.querySelector('.paper-votes form.vote button').getAttribute('aria-pressed')") == "true",
              "vote button shows the vote")

        comment = "Tried it: **works** on my data <script>alert(1)</script>"
        browser.submit(f"document.querySelector('#comment-body').value = {json.dumps(comment)}; "
                       "document.querySelector('#comment-body').form.submit()")
        browser.navigate(f"{base}/papers/{paper_id}")
        comments = browser.evaluate("document.querySelector('ol.comments').innerHTML")
        check("<strong>works</strong>" in comments and "&lt;script&gt;" in comments, "comment shown, markup safe", comments)
        check(int(browser.evaluate("document.querySelector('.paper-votes [data-count]').textContent")) == before + 1,
              "vote still counted after reload")

        # Save to the library: the button turns into "Saved" in place.
        browser.evaluate("document.querySelector('article [data-library] form[data-library-form] button').click()")
        check(wait_until(browser, "!!document.querySelector('article [data-library] button[aria-pressed=true]')"), "saved in place")
        check(browser.evaluate("location.href") == url_before, "no page reload for saving")
        browser.navigate(f"{base}/library")
        check(browser.evaluate(f"!!document.querySelector('main a[href=\"/papers/{paper_id}\"]')"), "the library lists the saved paper",
              browser.evaluate("document.querySelector('main').innerText"))

        if submit_id:
            browser.navigate(f"{base}/submit")
            browser.submit(f"document.querySelector('#paper').value = 'https://arxiv.org/abs/{submit_id}v2?context=cs'; "
                           "document.querySelector('main form.stacked').requestSubmit()")
            check(browser.evaluate("location.pathname") == f"/papers/{submit_id}", "submitted by arXiv URL, now on its page",
                  browser.evaluate("document.body.innerText"))
            check(f"by {username}" in browser.evaluate("document.querySelector('article').innerText"), "credited to the reader")

        # The digest: subscribe from the footer, confirm by mail, unsubscribe.
        subscriber = "digest-" + address
        browser.navigate(f"{base}/trending")
        browser.submit(f"document.querySelector('#subscribe-email').value = {json.dumps(subscriber)}; "
                       "document.querySelector('form.subscribe select').value = 'weekly'; document.querySelector('form.subscribe').submit()")
        check("Check your inbox" in browser.evaluate("document.body.innerText"), "subscription asked for")
        confirm = mailed_link(folder, subscriber, r"https?://\S*/subscriptions/confirm\S*")
        check(confirm is not None, "the confirmation mail has its link", os.listdir(folder))
        browser.navigate(confirm)
        check("Confirm your subscription" in browser.evaluate("document.body.innerText"), "the link opens a confirm button, confirming nothing yet",
              browser.evaluate("document.body.innerText"))
        browser.submit("document.querySelector('main form button').click()")
        check("You are subscribed" in browser.evaluate("document.querySelector('p.success')?.innerText || ''"), "subscribed, said as a success",
              browser.evaluate("document.body.innerText"))
        browser.submit("[...document.querySelectorAll('main form button')].find((b) => b.textContent.includes('Unsubscribe')).click()")
        check("gets no more digests" in browser.evaluate("document.body.innerText"), "unsubscribed",
              browser.evaluate("document.body.innerText"))
    finally:
        browser.close()


if __name__ == "__main__":
    main()
