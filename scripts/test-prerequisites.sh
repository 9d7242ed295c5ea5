#!/usr/bin/env bash
# What the test suite needs besides Python packages: a running PostgreSQL when
# CASEREVIEW_TEST_DATABASE_URL points at a local one, Debian's chromium for browser tests,
# the PDF libraries and a Java 17 runtime for Spark.
set -euo pipefail

if [ -n "${CASEREVIEW_TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
fi

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian chromium for the browser tests"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is not installed and cannot be installed here: browser tests will be skipped" >&2
  fi
fi

# WeasyPrint (the PDF report, tests/report/test_pdf.py) loads Pango, Pango's FreeType backend
# and HarfBuzz's font subsetter at run time, and needs at least one font to draw text with.
pdf_packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for package in "${pdf_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} for the PDF report tests"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "${missing[*]} not installed and cannot be installed here: the PDF tests will fail" >&2
  fi
fi

# Splink on Spark (tests/link/test_spark.py, the standalone cluster of
# tests/link/test_spark_cluster.py) runs on a Java 17 runtime.
if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's Java 17 runtime for the Spark tests"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else
    echo "java is not installed and cannot be installed here: the Spark tests will be skipped" >&2
  fi
fi
