"""scripts/vendor-fixtures fetches what the manifest names and nothing else.

The upstream (raw.githubusercontent.com) is not reachable from the test machine, so a mirror
laid out the same way (OWNER/NAME/COMMIT/PATH) is built from the local fixtures and read
through file:// URLs: the same code path as a CI fetch, minus the network.
"""

import importlib.machinery
import importlib.util
import os
import shutil
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
loader = importlib.machinery.SourceFileLoader("vendor_fixtures", str(HERE.parent / "vendor-fixtures"))
spec = importlib.util.spec_from_loader("vendor_fixtures", loader)
vf = importlib.util.module_from_spec(spec)
loader.exec_module(vf)


class FetchFromAMirror(unittest.TestCase):
    def setUp(self):
        self.src = vf.default_dir()
        if not self.src.is_dir():
            if os.environ.get("NIMBUS_REQUIRE_EMULATORS"):
                self.fail(f"no vendor fixtures at {self.src}: set NIMBUS_VENDOR_FIXTURES")
            self.skipTest(f"no vendor fixtures at {self.src}")
        self.tmp = Path(tempfile.mkdtemp())
        self.mirror = self.tmp / "mirror"
        for r in vf.read_manifest():
            to = self.mirror / r["repo"] / r["commit"] / r["path"]
            to.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.src / r["file"], to)
        os.environ["NIMBUS_FIXTURES_BASE_URL"] = self.mirror.as_uri()

    def tearDown(self):
        os.environ.pop("NIMBUS_FIXTURES_BASE_URL", None)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_fetch_gets_every_file_and_then_nothing(self):
        dest = self.tmp / "dest"
        vf.cmd_fetch(dest)
        vf.cmd_verify(dest)
        stamps = {p: p.stat().st_mtime_ns for p in dest.rglob("*") if p.is_file()}
        self.assertEqual(len(stamps), len(vf.read_manifest()))
        vf.cmd_fetch(dest)  # everything present and checked: nothing rewritten
        self.assertEqual(stamps, {p: p.stat().st_mtime_ns for p in dest.rglob("*") if p.is_file()})

    def test_a_changed_upstream_file_is_refused_and_not_written(self):
        r = vf.read_manifest()[0]
        (self.mirror / r["repo"] / r["commit"] / r["path"]).write_bytes(b"{}")
        dest = self.tmp / "dest"
        with self.assertRaises(SystemExit) as e:
            vf.cmd_fetch(dest)
        self.assertIn(r["path"], str(e.exception))
        self.assertFalse((dest / r["file"]).exists())
        with self.assertRaises(SystemExit):
            vf.cmd_verify(dest)

    def test_the_manifest_matches_the_fixtures_beside_the_clone(self):
        vf.cmd_verify(self.src)
        self.assertEqual(
            [(r["file"], r["sha256"]) for r in vf.parse_sources((self.src / "SOURCES.md").read_text())],
            [(r["file"], r["sha256"]) for r in vf.read_manifest()],
        )

    def test_rows_cannot_name_files_outside_the_destination(self):
        ok = vf.read_manifest()[0]
        for bad in ({**ok, "file": "../x.json"}, {**ok, "file": "/etc/x"}, {**ok, "commit": "main"}):
            with self.assertRaises(SystemExit):
                vf.check_row(bad)


if __name__ == "__main__":
    unittest.main()
