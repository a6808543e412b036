# Set for every plan: the environment prefix of every name.
env = "shop"
