"""The AWS emulator of the local stack: a moto server in its own process on 127.0.0.1.

Its own process, so the emulator does not share a GIL with the HTTP server and pollers. It exits
when its parent closes its stdin, so a crashed local stack never leaves an orphan behind.
"""

import subprocess
import sys

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any credentials
    "AWS_SESSION_TOKEN": "testing",
}
ACCOUNT_ID = "123456789012"  # moto's default account for any credentials


class MotoServer:
    """A moto server child process; `endpoint_url` is what `AWS_ENDPOINT_URL` points at."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local.motoserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self._process.stdout.readline().strip()
        if not line.isdigit():
            self._process.kill()
            raise RuntimeError(f"moto server did not start (said {line!r})")
        self.port = int(line)
        self.endpoint_url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def main() -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    sys.stdout.write(f"{server.get_host_and_port()[1]}\n")
    sys.stdout.flush()
    sys.stdin.read()  # returns when the parent closes the pipe or dies
    server.stop()


if __name__ == "__main__":
    main()
