#!/usr/bin/env python3
"""Fails when a target imports a module of this package (or ArgumentParser) that its entry in
Package.swift does not list. SwiftPM lets a target see its dependencies' dependencies, so such an
import builds here and breaks for a user who depends on one product alone.

Usage: python3 scripts/check-dependencies.py   (from the repository; runs `swift package dump-package`)
"""
import glob
import json
import os
import re
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                    capture_output=True, text=True).stdout)
products = {"ArgumentParser"}
names = {t["name"] for t in package["targets"]} | products
problems = []
for target in package["targets"]:
    declared = set()
    for dependency in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                declared.add(dependency[kind][0])
    folder = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", target["name"])
    imported = set()
    for path in glob.glob(os.path.join(root, folder, "**", "*.swift"), recursive=True):
        with open(path, encoding="utf-8") as source:
            for line in source:
                match = re.match(r"\s*(?:@testable\s+|@_exported\s+)?import\s+(\w+)", line)
                if match and match.group(1) in names:
                    imported.add(match.group(1))
    missing = sorted(imported - declared - {target["name"]})
    if missing:
        problems.append(f"{target['name']} imports {', '.join(missing)} without declaring it in Package.swift")
print("\n".join(problems) if problems else f"dependencies: every import of {len(package['targets'])} targets is declared")
sys.exit(1 if problems else 0)
