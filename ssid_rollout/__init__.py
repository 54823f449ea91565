"""Roll out a portal-authenticated Wi-Fi SSID across hotspot switches, BRAS and ACs."""

__version__ = "0.1.0"
