# Debian packages the tests need (installed by `make system-deps`, a prerequisite of `make test`).
# One package per line, so that parallel changes each add their own line.
SYSTEM_PACKAGES :=
SYSTEM_PACKAGES += git

.PHONY: system-deps
# Installs only what is missing; `apt-get update` runs once, and only when something is missing.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
SYSTEM_PACKAGES += bubblewrap
SYSTEM_PACKAGES += libseccomp2
SYSTEM_PACKAGES += chromium
SYSTEM_PACKAGES += golang-go
