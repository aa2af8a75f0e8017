"""AWS resource families: one module each, registered with ``tradeplane.terraform.registry``."""
