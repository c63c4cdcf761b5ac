def find_user(users, name):
    for user in users:
        if user["name"] == name:
            return user["name"]
    return None


def greeting(users, name):
    found = find_user(users, name)
    return "Hello " + (found.title() if found else "guest")
