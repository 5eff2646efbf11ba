"""The emulated tenant's directory (Entra ID as ARM sees it): the principals role assignments name."""
