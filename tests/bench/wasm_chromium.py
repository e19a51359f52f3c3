"""wasm_chromium.py — the demo page's timings in headless Chromium (wasm.sh).

    python3 tests/bench/wasm_chromium.py URL

Opens URL (demo.html with the benchmark's settings in its query string) in
headless Chromium, driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: commands in on fd 3, replies out on fd 4, JSON
ending in a NUL byte), in real time: --dump-dom would need virtual time,
in which performance.now() does not move while a script runs.  Waits for
the page's #status to say "done" and prints it and the timings table.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

url = sys.argv[1]
to_chromium_r, to_chromium_w = os.pipe()
from_chromium_r, from_chromium_w = os.pipe()


def pipe_fds():
    os.dup2(to_chromium_r, 3)
    os.dup2(from_chromium_w, 4)


profile = tempfile.mkdtemp()
chromium = subprocess.Popen(
    ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
     "--user-data-dir=" + profile, "about:blank"],
    preexec_fn=pipe_fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_chromium_r)
os.close(from_chromium_w)
replies = b""
next_id = 0


def send(method, params, session=None):
    """Sends one command and returns its result (events are skipped)."""
    global replies, next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params}
    if session:
        message["sessionId"] = session
    os.write(to_chromium_w, json.dumps(message).encode() + b"\0")
    while True:
        while b"\0" not in replies:
            chunk = os.read(from_chromium_r, 65536)
            if not chunk:
                sys.exit("wasm_chromium: chromium closed the pipe")
            replies += chunk
        text, replies = replies.split(b"\0", 1)
        reply = json.loads(text)
        if reply.get("id") == next_id:
            if "error" in reply:
                sys.exit("wasm_chromium: %s: %s" % (method, reply["error"]))
            return reply["result"]


def evaluate(expression, session):
    return send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                session)["result"].get("value")


try:
    target = send("Target.createTarget", {"url": url})["targetId"]
    session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    deadline = time.time() + 300
    status = ""
    while not (status.startswith("done") or status.startswith("error")):
        if time.time() > deadline:
            sys.exit("wasm_chromium: no result in 300 s; status: " + status)
        time.sleep(0.5)
        status = evaluate("(document.getElementById('status') || {}).textContent || ''", session)
    print(evaluate("document.getElementById('loaded').textContent", session))
    print(status)
    for line in evaluate("Array.from(document.querySelectorAll('#timings tr'))"
                         ".map(function (tr) { return tr.innerText.replace(/\\t/g, ' | '); })", session):
        print("| " + line + " |")
    send("Browser.close", {})
finally:
    try:
        chromium.wait(timeout=10)
    except subprocess.TimeoutExpired:
        chromium.kill()
        chromium.wait()
    subprocess.run(["rm", "-rf", profile])
