print("reparam")
