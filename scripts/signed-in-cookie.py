#!/usr/bin/env python3
"""Signs in to a running Paperboy by the mailed link, as a reader would, and prints the Cookie
header that carries the session: for benchmarks of signed-in pages (`wrk -H "Cookie: …"`).

A new address creates its account on the way (the confirm page asks for a username).

Usage: signed-in-cookie.py BASE_URL MAIL_FOLDER EMAIL USERNAME
"""
import email
import email.policy
import glob
import html
import http.cookiejar
import os
import re
import sys
import time
import urllib.parse
import urllib.request


def mailed_sign_in_link(folder, address):
    """The sign-in link in the newest mail to `address`, if one has arrived."""
    mails = sorted(glob.glob(os.path.join(folder, "*.eml")), key=os.path.getmtime, reverse=True)
    for path in mails:
        with open(path, "rb") as handle:
            message = email.message_from_binary_file(handle, policy=email.policy.default)
        found = re.search(r"/signin/confirm\?token=[A-Za-z0-9_\-]+", message.get_body(preferencelist=("plain",)).get_content())
        if address in str(message["To"]) and found:
            return found.group(0)
    return None


def form_fields(page):
    """The hidden fields of the page's main form (csrf, token, next)."""
    return {name: html.unescape(value) for name, value in re.findall(r'<input type="hidden" name="([a-z]+)" value="([^"]*)"', page)}


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    base, mail_folder, address, username = sys.argv[1:]
    if urllib.parse.urlparse(base).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("BASE_URL must be a server on this machine (127.0.0.1)")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path, fields):
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(base + path, data=data, headers={"Origin": base})
        return opener.open(request).read().decode()

    fields = form_fields(opener.open(base + "/signin").read().decode())
    post("/signin", {**fields, "email": address, "password": ""})
    link = None
    for _ in range(50):
        link = mailed_sign_in_link(mail_folder, address)
        if link:
            break
        time.sleep(0.1)
    if link is None:
        raise SystemExit(f"no sign-in link for {address} in {mail_folder}")
    fields = form_fields(opener.open(base + link).read().decode())
    post("/signin/confirm", {**fields, "username": username})
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    if "session" not in cookies:
        raise SystemExit(f"signing in gave no session cookie (cookies: {[cookie.name for cookie in jar]})")
    print(cookies)


if __name__ == "__main__":
    main()
