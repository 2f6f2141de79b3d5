"""What a person types in (a terminal prompt, a Streamlit field) is what its label asks for:
`st.text_input("Patient name")` is a name, `st.text_area("Consultation notes")` health
data, `input("Kundens e-mail: ")` an e-mail - whatever the variable is called. A label that
asks for nothing personal leaves the value unknown."""

from __future__ import annotations

from helpers import analyse


def _data(result) -> dict[tuple[int, str], list[str]]:
    out: dict[tuple[int, str], list[str]] = {}
    for f in result.findings:
        out.setdefault((f.line, f.code), []).extend(sorted(f.data))
    return out


def test_streamlit_fields_by_their_labels(write):
    root = write({"app.py": '''
        import streamlit as st
        from openai import OpenAI

        client = OpenAI()

        name = st.text_input("Patient name")
        notes = st.text_area("Consultation notes")
        born = st.sidebar.date_input(label="Date of birth")
        if st.button("Summarise"):
            reply = client.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": f"Summarise for {name} ({born}): {notes}"}],
            )
            st.write(reply.choices[0].message.content)
        '''})
    result = analyse(root)
    data = _data(result)
    assert sorted(data) == [(10, "GDPR001"), (10, "GDPR002")]
    assert data[(10, "GDPR001")] == ['st.sidebar.date_input(label="Date of birth") (date of birth)',
                                     'st.text_input("Patient name") (name)']
    assert data[(10, "GDPR002")] == ['st.text_area("Consultation notes") (health data)']
    notes = [s.note for f in result.findings for s in f.flow]
    assert any("what a person types in, by its label" in n for n in notes), notes


def test_terminal_prompts_in_several_languages(write):
    root = write({"intake.py": '''
        from openai import OpenAI

        client = OpenAI()


        def main():
            a = input("Kundens e-mail: ")
            b = input("Beschreiben Sie Ihre Symptome: ")
            c = input("Paste the candidate's CV > ")
            answer = client.responses.create(model="gpt-4o", input=f"{a}\\n{b}\\n{c}")
            print(answer.output_text)
        '''})
    data = _data(analyse(root))
    assert sorted(data) == [(10, "GDPR001"), (10, "GDPR002")]
    assert [d.split(" (")[0] for d in data[(10, "GDPR001")]] == ["input(\"Kundens e-mail: \")",
                                                                 "input(\"Paste the candidate's CV > \")"]
    assert [d.split(" (")[0] for d in data[(10, "GDPR002")]] == ['input("Beschreiben Sie Ihre Symptome: ")']


def test_inputs_that_ask_for_nothing_personal_are_clean(write):
    root = write({"blog.py": '''
        import streamlit as st
        from openai import OpenAI

        client = OpenAI()

        topic = st.text_input("Blog topic")
        question = st.text_area("Question about our opening hours")
        words = st.number_input("Number of words")
        chat = input("You: ")
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": f"{topic}: {question} ({words} words) {chat}"}],
        )
        '''})
    assert analyse(root).findings == []
