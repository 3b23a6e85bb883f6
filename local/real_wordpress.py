"""A throwaway real WordPress (Debian's ``wordpress`` package) on 127.0.0.1, for tests and fact-finding.

Needs the Debian packages ``wordpress``, ``php-cli``, ``php-mysql``, ``php-mbstring`` and
``mariadb-server`` (:func:`missing_requirements` says what is absent). Nothing system-wide is
configured: everything lives in one temporary directory that is removed on exit.

- MariaDB: a private data directory (``mariadb-install-db --no-defaults``) and a ``mariadbd`` on a
  unix socket only (``--skip-networking``), so no TCP port is taken.
- WordPress: the package's code in ``/usr/share/wordpress`` is symlinked into a site directory
  beside our own ``wp-config.php`` and ``wp-content``; Debian's ``wp-config.php`` (which reads
  ``/etc/wordpress/config-<host>.php``) is not used. ``php -S 127.0.0.1:PORT router.php`` serves it
  with pretty permalinks; the router defines ``ABSPATH`` as the site directory so that every
  entry point loads our configuration.
- The site is installed with PHP's CLI (``wp_install``), with a site timezone, pretty permalinks
  and an application password for the admin (``WP_ENVIRONMENT_TYPE=local`` allows those over
  plain http). Outgoing HTTP from WordPress is blocked except to the host itself
  (``WP_HTTP_BLOCK_EXTERNAL``), and WP-Cron and automatic updates are off.

Helpers change the site the way an editor would (REST API with the application password:
create, edit, trash, delete) or set what an editor cannot (SQL: ``post_modified`` and
``post_modified_gmt``, ``post_status``).

Usage::

    with RealWordPress(timezone="Europe/Berlin") as site:
        post = site.create_post("Hello", date_gmt="2024-07-01T10:00:00")
        site.url("posts")   # http://127.0.0.1:PORT/wp-json/wp/v2/posts
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.loopback import free_port

logger = logging.getLogger(__name__)

WORDPRESS_DIR = Path("/usr/share/wordpress")
PROGRAMS = ("php", "mariadbd", "mariadb-install-db", "mariadb")
DEBIAN_PACKAGES = ("wordpress", "php-cli", "php-mysql", "php-mbstring", "mariadb-server")
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"  # noqa: S105 - a throwaway site on loopback
STARTUP_TIMEOUT_SECONDS = 30.0


class RealWordPressError(RuntimeError):
    """The throwaway site could not be set up or answered unexpectedly."""


def missing_requirements() -> list[str]:
    """What is missing to run a real WordPress here (empty when everything is installed)."""
    missing = [program for program in PROGRAMS if shutil.which(program) is None]
    if not (WORDPRESS_DIR / "wp-settings.php").is_file():
        missing.append(str(WORDPRESS_DIR))
    if shutil.which("php") is not None and not _php_has_extensions("mysqli", "mbstring"):
        missing.append("php extensions mysqli and mbstring")
    return missing


def _php_has_extensions(*names: str) -> bool:
    modules = subprocess.run(["php", "-m"], capture_output=True, text=True, check=False).stdout
    loaded = {line.strip().lower() for line in modules.splitlines()}
    return all(name in loaded for name in names)


def wait_until(check: Any, what: str, timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
    """Poll ``check()`` until it is true; :class:`RealWordPressError` naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RealWordPressError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.05)


def quoted(value: str) -> str:
    """A single-quoted string literal, backslash and quote escaped: PHP's and MariaDB's rule alike."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class HttpAnswer:
    """One answer of the site: status, lower-case headers and the JSON body (None if not JSON)."""

    status: int
    headers: dict[str, str]
    body: Any


ROUTER_PHP = """<?php
// Router for `php -S`: our configuration for every entry point, pretty permalinks for the rest.
define('ABSPATH', __DIR__ . '/');
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
if (strpos($path, '..') !== false) {
    $path = '/';
}
$file = __DIR__ . $path;
if (is_file($file) && substr($file, -4) !== '.php') {
    return false;  // a static file
}
if (is_dir($file) && is_file(rtrim($file, '/') . '/index.php')) {
    $path = rtrim($path, '/') . '/index.php';
} elseif (!is_file($file)) {
    $path = '/index.php';  // pretty permalinks: WordPress routes the request itself
}
$_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = $path;
$_SERVER['SCRIPT_FILENAME'] = __DIR__ . $path;
chdir(dirname(__DIR__ . $path));
require __DIR__ . $path;
"""

CONFIG_PHP = """<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', {db_host});
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_HOME', {home});
define('WP_SITEURL', {home});
define('WP_CONTENT_DIR', {content_dir});
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_DEBUG', false);
foreach (array('AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT',
               'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT') as $name) {
    define($name, 'throwaway-' . $name);
}
$table_prefix = 'wp_';
if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
"""

INSTALL_PHP = """<?php
// Install the site (run by PHP's CLI): admin user, timezone, permalinks, an application password.
define('ABSPATH', {site_dir});
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = {host};
$_SERVER['REQUEST_URI'] = '/';
require_once ABSPATH . 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$result = wp_install('Real WordPress for tests', {user}, 'admin@example.test', false, '', {password});
update_option('timezone_string', {timezone});
update_option('gmt_offset', {gmt_offset});
update_option('permalink_structure', '/%postname%/');
flush_rewrite_rules(true);
// An empty site: no "Hello world!", sample page or privacy policy draft.
foreach (get_posts(array('post_type' => 'any', 'post_status' => 'any', 'numberposts' => -1)) as $post) {
    wp_delete_post($post->ID, true);
}
$created = WP_Application_Passwords::create_new_application_password(
    $result['user_id'], array('name' => 'tests')
);
if (is_wp_error($created)) {
    fwrite(STDERR, $created->get_error_message());
    exit(1);
}
echo json_encode(array('user_id' => $result['user_id'], 'application_password' => $created[0]));
"""


class RealWordPress:
    """Context manager: MariaDB + WordPress in a temporary directory, served on a free loopback port.

    ``timezone`` is a PHP timezone name (``"Europe/Berlin"``) or a fixed offset in hours
    (``"+2"``, ``"-5.5"``), which WordPress stores as ``gmt_offset`` with an empty timezone name.
    """

    def __init__(self, *, timezone: str = "Europe/Berlin", workdir: Path | None = None) -> None:
        self.timezone = timezone
        self._given_workdir = workdir
        self.root = Path()
        self.port = 0
        self.user_id = 0
        self.application_password = ""
        self._processes: list[subprocess.Popen[bytes]] = []

    # -- lifecycle
    def __enter__(self) -> RealWordPress:
        missing = missing_requirements()
        if missing:
            raise RealWordPressError(f"missing: {', '.join(missing)} (Debian: {' '.join(DEBIAN_PACKAGES)})")
        self.root = Path(tempfile.mkdtemp(prefix="real-wordpress-", dir=self._given_workdir))
        try:
            started = time.monotonic()
            self._start_database()
            self._write_site()
            self._start_php()
            self._install()
            logger.info("real WordPress up at %s in %.1f s", self.base_url, time.monotonic() - started)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the servers this instance started and remove its directory."""
        for process in reversed(self._processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        if self.root != Path() and self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def socket_path(self) -> Path:
        return self.root / "mysqld.sock"

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    def _spawn(self, args: list[str], log_name: str, **options: Any) -> subprocess.Popen[bytes]:
        log = open(self.root / log_name, "wb")  # noqa: SIM115 - closed with the process's output
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, **options)
        log.close()
        self._processes.append(process)
        return process

    def _check_running(self, process: subprocess.Popen[bytes], log_name: str) -> None:
        if process.poll() is not None:
            log = (self.root / log_name).read_text(errors="replace")[-2000:]
            raise RealWordPressError(f"{process.args[0]} exited with {process.returncode}: {log}")

    def _start_database(self) -> None:
        data_dir = self.root / "mysql"
        user = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={data_dir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *user,
            ],
            check=True,
            capture_output=True,
        )
        process = self._spawn(
            [
                "mariadbd",
                "--no-defaults",
                f"--datadir={data_dir}",
                f"--socket={self.socket_path}",
                f"--pid-file={self.root / 'mysqld.pid'}",
                "--skip-networking",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=32M",
                "--innodb-flush-log-at-trx-commit=0",
                "--character-set-server=utf8mb4",
                *user,
            ],
            "mysqld.log",
        )

        def ready() -> bool:
            self._check_running(process, "mysqld.log")
            probe = ["mariadb", "--no-defaults", f"--socket={self.socket_path}", "-uroot", "-e", "SELECT 1"]
            return subprocess.run(probe, capture_output=True, check=False).returncode == 0

        wait_until(ready, "MariaDB")
        self.sql("CREATE DATABASE wordpress CHARACTER SET utf8mb4", database="")

    def _write_site(self) -> None:
        self.port = free_port()
        self.site_dir.mkdir()
        for entry in WORDPRESS_DIR.iterdir():
            if entry.name not in {"wp-config.php", "wp-content", ".htaccess"}:
                (self.site_dir / entry.name).symlink_to(entry)
        content = self.site_dir / "wp-content"
        (content / "uploads").mkdir(parents=True)
        (content / "mu-plugins").mkdir()
        for name in ("themes", "plugins"):
            (content / name).symlink_to(WORDPRESS_DIR / "wp-content" / name)
        config = CONFIG_PHP
        for key, value in {
            "db_host": quoted(f"localhost:{self.socket_path}"),
            "home": quoted(self.base_url),
            "content_dir": quoted(str(content)),
        }.items():
            config = config.replace("{" + key + "}", value)
        (self.site_dir / "wp-config.php").write_text(config)
        (self.site_dir / "router.php").write_text(ROUTER_PHP)

    def _start_php(self) -> None:
        process = self._spawn(
            [
                "php",
                "-S",
                f"127.0.0.1:{self.port}",
                "-t",
                str(self.site_dir),
                str(self.site_dir / "router.php"),
            ],
            "php.log",
            cwd=self.site_dir,
        )

        def ready() -> bool:
            self._check_running(process, "php.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False

        wait_until(ready, "php -S")

    def _install(self) -> None:
        named = self.timezone[:1].isalpha()
        script = INSTALL_PHP
        for key, value in {
            "site_dir": quoted(f"{self.site_dir}/"),
            "host": quoted(f"127.0.0.1:{self.port}"),
            "user": quoted(ADMIN_USER),
            "password": quoted(ADMIN_PASSWORD),
            "timezone": quoted(self.timezone if named else ""),
            "gmt_offset": "0" if named else str(float(self.timezone)),
        }.items():
            script = script.replace("{" + key + "}", value)
        path = self.root / "install.php"
        path.write_text(script)
        done = subprocess.run(["php", str(path)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RealWordPressError(f"wp_install failed: {done.stderr[-2000:]}{done.stdout[-2000:]}")
        installed = json.loads(done.stdout.strip().splitlines()[-1])
        self.user_id = int(installed["user_id"])
        self.application_password = str(installed["application_password"])

    # -- addresses
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, name: str, *, pretty: bool = True, namespace: str = "/wp/v2") -> str:
        route = f"{namespace}/{name}"
        return f"{self.base_url}/wp-json{route}" if pretty else f"{self.base_url}/?rest_route={route}"

    # -- HTTP
    def request(
        self, method: str, path: str, *, document: Any = None, authenticated: bool = True
    ) -> HttpAnswer:
        """``method`` on ``base_url + path``; the answer whatever its status."""
        headers = {"Accept": "application/json"}
        data = None
        if document is not None:
            data = json.dumps(document).encode()
            headers["Content-Type"] = "application/json"
        if authenticated:
            token = base64.b64encode(f"{ADMIN_USER}:{self.application_password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
                status, raw_headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, raw_headers, body = error.code, error.headers, error.read()
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        return HttpAnswer(status, {k.lower(): v for k, v in raw_headers.items()}, parsed)

    def get(self, path: str, *, authenticated: bool = False) -> HttpAnswer:
        return self.request("GET", path, authenticated=authenticated)

    def _expect(self, answer: HttpAnswer, statuses: tuple[int, ...], what: str) -> dict[str, Any]:
        if answer.status not in statuses or not isinstance(answer.body, dict):
            raise RealWordPressError(f"{what}: HTTP {answer.status} {answer.body!r}"[:2000])
        return answer.body

    # -- editing (REST, as an editor would)
    def create_post(
        self, title: str, *, status: str = "publish", post_type: str = "posts", **fields: Any
    ) -> int:
        """A new post (``date``/``date_gmt`` set its date, and so its modification date); its id."""
        answer = self.request(
            "POST", f"/wp-json/wp/v2/{post_type}", document={"title": title, "status": status, **fields}
        )
        return int(self._expect(answer, (201,), f"create {title!r}")["id"])

    def edit_post(self, post_id: int, *, post_type: str = "posts", **fields: Any) -> dict[str, Any]:
        """Update a post; WordPress sets its modification date to now."""
        answer = self.request("POST", f"/wp-json/wp/v2/{post_type}/{post_id}", document=fields)
        return self._expect(answer, (200,), f"edit {post_id}")

    def trash_post(self, post_id: int, *, post_type: str = "posts") -> None:
        self._expect(self.request("DELETE", f"/wp-json/wp/v2/{post_type}/{post_id}"), (200,), "trash")

    def delete_post(self, post_id: int, *, post_type: str = "posts") -> None:
        answer = self.request("DELETE", f"/wp-json/wp/v2/{post_type}/{post_id}?force=true")
        self._expect(answer, (200,), f"delete {post_id}")

    # -- SQL (what an editor cannot set)
    def sql(self, statement: str, *, database: str = "wordpress") -> list[list[str]]:
        """Run ``statement`` with the ``mariadb`` client; the rows of its result (tab-separated)."""
        args = ["mariadb", "--no-defaults", f"--socket={self.socket_path}", "-uroot", "-N", "-B"]
        done = subprocess.run(
            [*args, *([database] if database else []), "-e", statement], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RealWordPressError(f"SQL failed: {statement[:200]}: {done.stderr.strip()}")
        return [line.split("\t") for line in done.stdout.splitlines()]

    def set_modified(self, post_id: int, *, local: str, gmt: str) -> None:
        """Set ``post_modified`` and ``post_modified_gmt`` (``YYYY-MM-DD HH:MM:SS``) of a post."""
        self.sql(
            f"UPDATE wp_posts SET post_modified = {quoted(local)}, "
            f"post_modified_gmt = {quoted(gmt)} WHERE ID = {int(post_id)}"
        )

    def modified_columns(self, post_id: int) -> tuple[str, str]:
        """(``post_modified``, ``post_modified_gmt``) of a post as stored."""
        rows = self.sql(f"SELECT post_modified, post_modified_gmt FROM wp_posts WHERE ID = {int(post_id)}")
        return rows[0][0], rows[0][1]
