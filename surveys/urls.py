from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.SurveyResultsView.as_view(), name="results"),
    path("sent/", views.SurveyListView.as_view(), name="survey_list"),
    path("sent/<int:pk>/resend/", views.SurveyResendView.as_view(), name="survey_resend"),
    path("settings/", views.SurveySettingsView.as_view(), name="settings"),
    path("questions/new/", views.QuestionEditView.as_view(), name="question_create"),
    path("questions/<int:pk>/", views.QuestionEditView.as_view(), name="question_update"),
]
