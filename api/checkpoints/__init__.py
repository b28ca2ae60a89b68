"""Launch checkpoints: the catalogue of kinds, each product's checkpoints with CI evidence,
reviewer sign-off and waivers, findings with deadlines, and the readiness answer."""
