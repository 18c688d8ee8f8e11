# nbgrader configuration of the course, shared by `make student` (tools/student.py) and `make grade`
# (tools/grade.py). Both copy this file into the temporary nbgrader course directory they work in, so nbgrader
# reads it as that course's own nbgrader_config.py.
c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = "vi-course"

# One nbgrader assignment holds the whole course: source/course/NN_name.ipynb is the instructor edition.
# (tools/student.py and tools/grade.py name it; see COURSE_ASSIGNMENT there.)

# The student edition keeps the given lines of an answer cell (`answer_<id> = ...  # your code`) and puts this
# stub where the reference solution was. nbgrader's default stub raises NotImplementedError, which would stop
# Run All; this one does nothing, so the check cell below says "not attempted yet" instead.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
# A pen-and-paper derivation's worked answer becomes this space for the learner's own.
c.ClearSolutions.text_stub = "*Your answer here: double-click this cell and write your derivation.*"

# Long tracebacks are cut, so a grades.csv reason stays readable (the last lines say what went wrong).
c.LimitOutput.max_traceback = 40
