from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import SurveyResponseViewSet, SurveyResultsView, SurveyViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("surveys", SurveyViewSet, basename="survey")
router.register("survey-responses", SurveyResponseViewSet, basename="surveyresponse")

urlpatterns = [
    *router.urls,
    path("survey-results/", SurveyResultsView.as_view(), name="survey-results"),
]
