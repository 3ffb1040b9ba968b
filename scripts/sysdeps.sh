#!/usr/bin/env bash
# Installs the system components the tests need (CJK fonts for PNG charts, Chromium for browser
# tests) when they are missing: with apt-get as root, otherwise it names the packages to install.
# `sysdeps.sh fonts` checks the fonts only (make lab: PNG export of Chinese charts).
set -u
missing=()
fc-list 2>/dev/null | grep -q "Noto Sans CJK SC" || missing+=(fonts-noto-cjk)
[ "${1:-}" = fonts ] || [ -x /usr/bin/chromium ] || missing+=(chromium)
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
  echo "  Without them the font and browser tests skip locally and fail under CI=true."
fi
