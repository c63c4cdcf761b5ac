def find_user(users, name):
    for user in users:
        if user["name"] == name:
            return user["name"]
    return None


def greeting(users, name):
    return "Hello " + find_user(users, name).title()
