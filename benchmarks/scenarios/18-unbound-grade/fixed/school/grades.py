def classify(score):
    if score >= 90:
        grade = "A"
    elif score >= 50:
        grade = "B"
    else:
        grade = "C"
    return grade
