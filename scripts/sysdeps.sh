#!/usr/bin/env bash
# Installs the system components the tests need (CJK fonts for PNG charts and the PDF, Chromium
# for browser tests, pango for the PDF, poppler-utils to render PDF pages) when they are missing:
# with apt-get as root, otherwise it names the packages to install.
# `sysdeps.sh fonts` checks the fonts only (make lab: PNG export of Chinese charts).
set -u
missing=()
fc-list 2>/dev/null | grep -q "Noto Sans CJK SC" || missing+=(fonts-noto-cjk)
if [ "${1:-}" != fonts ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # the 公示 PDF (WeasyPrint) needs pango; pdftoppm (poppler-utils) renders its pages for test-output/
  ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so" || missing+=(libpango-1.0-0)
  ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so" || missing+=(libpangoft2-1.0-0)
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
fi
((${#missing[@]})) || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "apt-get install ${missing[*]} failed"; exit 1; }
  fc-cache -f >/dev/null 2>&1 || true
else
  echo "缺少系统组件 / missing system packages: ${missing[*]}"
  echo "  请运行 / please run:  sudo apt-get install ${missing[*]}"
  echo "  Without them the font, PDF and browser tests skip locally and fail under CI=true."
fi
